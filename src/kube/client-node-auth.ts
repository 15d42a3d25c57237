/**
 * Authentication through @kubernetes/client-node for the users the direct path does not serve:
 * exec credential plugins, auth providers, proxies. Imported only for them (session.ts).
 */
import type { KubeTarget } from '../core/ports.ts';
import type { SelectedConfig } from './kubeconfig.ts';
import type { RequestAuth } from './rest.ts';
import type { Auth } from './session.ts';

/** Exec plugins, auth providers, proxies: client-node knows them all. */
export async function clientNodeAuth(selected: SelectedConfig, target: KubeTarget): Promise<Auth> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(selected.paths[0] as string);
  for (const path of selected.paths.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(path);
    for (const c of more.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
    for (const u of more.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
    for (const c of more.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
  }
  kc.setCurrentContext(target.context ?? selected.contextName);
  return async () => {
    const opts: { agent?: RequestAuth['agent']; headers?: Record<string, string>; [k: string]: unknown } = {};
    await kc.applyToHTTPSOptions(opts as never);
    const { agent, headers, ca, cert, key, rejectUnauthorized } = opts;
    return { agent, headers: { ...(headers ?? {}) }, tls: { ca, cert, key, rejectUnauthorized } };
  };
}
