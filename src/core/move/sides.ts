/** Reaching both management clusters, the bucket and DNS of a move from its request. */
import type { MoveEndpoint } from '../operation/record.ts';
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

/** `{cmd} resume <name> -n <ns> --context <source>`: continues or undoes the move from its records. */
export function resumeCommandOf(endpoint: MoveEndpoint, namespace: string, name: string): string {
  return `{cmd} resume ${name} -n ${namespace} --context ${endpoint.context}${endpoint.kubeconfig ? ` --kubeconfig ${endpoint.kubeconfig}` : ''}`;
}
