/** Reaching both management clusters, the bucket and DNS of a move from its request. */
import type { MoveEndpoint, MoveOperation } from '../operation/record.ts';
import type { MoveRequest, MoveSides, MoveWorld } from './types.ts';

export async function connectSides(req: MoveRequest, world: MoveWorld): Promise<MoveSides> {
  const target = (e: MoveEndpoint) => ({
    context: e.context,
    ...(e.kubeconfig ? { kubeconfig: e.kubeconfig } : {}),
    namespace: req.namespace,
  });
  const [source, destination, opened] = await Promise.all([
    world.connectKube(target(req.source)),
    world.connectKube(target(req.destination)),
    world.openObjectStore(req.via),
  ]);
  return { source, destination, store: opened.store, prefix: opened.prefix, resolver: world.resolver(req.dnsServer) };
}

/**
 * `{cmd} resume <name> -n <ns> --context <ctx> [--kubeconfig f] [S3 flags]`: continues or undoes
 * the move from its records, runnable as printed; the S3 flags are the recorded ones (resume
 * reads them from the record too: given here so that changing one is an edit of the line).
 */
export function resumeCommandOf(endpoint: MoveEndpoint, namespace: string, name: string, via?: MoveOperation['via']): string {
  const s3 = via
    ? [
        via.endpoint ? ` --endpoint ${via.endpoint}` : '',
        via.caBundle ? ` --ca-bundle ${via.caBundle}` : '',
        via.region ? ` --region ${via.region}` : '',
        via.pathStyle ? ' --path-style' : '',
      ].join('')
    : '';
  return `{cmd} resume ${name} -n ${namespace} --context ${endpoint.context}${endpoint.kubeconfig ? ` --kubeconfig ${endpoint.kubeconfig}` : ''}${s3}`;
}
