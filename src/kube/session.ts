/**
 * Connects to the management cluster named by the kubeconfig (see kubeconfig.ts for how files,
 * contexts and namespaces are chosen) and builds the REST and exec adapters. Token and
 * client-certificate users are served directly; exec credential plugins, auth providers and
 * proxies go through @kubernetes/client-node, loaded only then (it costs ~300 ms and ~85 MiB).
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';
import type { Reporter } from '../core/ports.ts';
import type { KubeSession, KubeTarget } from '../cli/deps.ts';
import { WebSocketPodExec } from './exec.ts';
import { pemOf, selectKubeconfig, type SelectedConfig } from './kubeconfig.ts';
import { RestKubeApi, type RequestAuth } from './rest.ts';

type Auth = () => Promise<RequestAuth & { tls: Record<string, unknown> }>;

export async function connectKube(target: KubeTarget, reporter: Reporter): Promise<KubeSession> {
  const selected = selectKubeconfig(target);
  const server = selected.cluster.server;
  reporter.debug(`using context "${selected.contextName}" (${server})${selected.needsClientNode ? ' through client-node' : ''}`);
  const auth = selected.needsClientNode ? await clientNodeAuth(selected, target) : directAuth(selected);
  const restOptions = { server, contextName: selected.contextName, auth, ...(target.requestTimeoutMs ? { requestTimeoutMs: target.requestTimeoutMs } : {}) };
  return {
    api: new RestKubeApi(restOptions),
    exec: new WebSocketPodExec({ server, auth }),
    namespace: target.namespace ?? selected.namespace ?? 'default',
    namespaceExplicit: target.namespace !== undefined,
    contextName: selected.contextName,
  };
}

/** Bearer token (re-read from tokenFile on each request: it may rotate), basic auth or client certificate. */
function directAuth(selected: SelectedConfig): Auth {
  const { cluster, user } = selected;
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const tls = {
    ca: pemOf(cluster, 'certificate-authority'),
    cert: pemOf(user, 'client-certificate'),
    key: pemOf(user, 'client-key'),
    rejectUnauthorized: !insecure,
    ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
  };
  if (cluster.server.startsWith('http:') && !insecure) {
    throw new UsageError(`refusing plain http to ${cluster.server}: the kubeconfig cluster must set insecure-skip-tls-verify for http`);
  }
  const agent = cluster.server.startsWith('https:') ? new https.Agent({ ...tls, keepAlive: true }) : new http.Agent({ keepAlive: true });
  return async () => {
    const headers: Record<string, string> = {};
    const tokenFile = user['tokenFile'];
    const token = typeof user['token'] === 'string' ? user['token'] : typeof tokenFile === 'string' ? readFileSync(tokenFile, 'utf8').trim() : undefined;
    if (token) headers['Authorization'] = `Bearer ${token}`;
    else if (typeof user['username'] === 'string') headers['Authorization'] = `Basic ${Buffer.from(`${user['username']}:${String(user['password'] ?? '')}`).toString('base64')}`;
    return { agent, headers, tls };
  };
}

/** Exec plugins, auth providers, proxies: client-node knows them all. */
async function clientNodeAuth(selected: SelectedConfig, target: KubeTarget): Promise<Auth> {
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
