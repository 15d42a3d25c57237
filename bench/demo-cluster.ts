/** The sandbox's clusters/demo as restore benchmarks need it: deleted as a user would, waited until gone. */
import { connectKube } from '../src/kube/session.ts';
import { Resources } from '../src/core/model.ts';
import type { Sandbox } from '../test/sandbox/sandbox.ts';
import { until } from './move-by-hand-wait.ts';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/** Deletes clusters/demo and its NodePools and waits until the HostedCluster and its control plane are gone. */
export async function deleteDemo(sb: Sandbox, cp = 'clusters-demo'): Promise<void> {
  const { api } = await connectKube({ kubeconfig: sb.kubeconfig, context: 'sandbox' }, quiet);
  for (const np of await api.list(Resources.nodePool, 'clusters')) await api.delete(Resources.nodePool, 'clusters', np.metadata.name ?? '');
  await api.delete(Resources.hostedCluster, 'clusters', 'demo');
  await until(
    'demo and its control plane to go',
    async () => !(await api.get(Resources.namespace, '', cp)) && !(await api.get(Resources.hostedCluster, 'clusters', 'demo')),
    300_000,
  );
  await sb.clusters[0]!.operator!.settled();
}
