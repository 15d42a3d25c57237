/**
 * Connects to the management cluster named by the kubeconfig (see kubeconfig.ts for how files,
 * contexts and namespaces are chosen) and builds the REST and exec adapters. Token and
 * client-certificate users are served directly; exec credential plugins, auth providers and
 * proxies go through @kubernetes/client-node, loaded only then (it costs ~300 ms and ~85 MiB).
 */
import http from 'node:http';
import https from 'node:https';
import { createSecureContext } from 'node:tls';
import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';
import { fileSystemError } from '../core/environment-errors.ts';
import type { KubeSession, KubeTarget, Reporter } from '../core/ports.ts';
import { WebSocketPodExec } from './exec.ts';
import { pemOf, selectKubeconfig, type SelectedConfig } from './kubeconfig.ts';
import { RestKubeApi, type RequestAuth } from './rest.ts';

export type Auth = () => Promise<RequestAuth & { tls: Record<string, unknown> }>;

/** `signal`: the process's interrupt; requests to the API server in flight when it fires are cut (rest.ts). */
export async function connectKube(target: KubeTarget, reporter: Reporter, signal?: AbortSignal): Promise<KubeSession> {
  const selected = selectKubeconfig(target);
  const server = selected.cluster.server;
  reporter.debug(
    selected.inCluster
      ? `using the in-cluster configuration: the pod's service account (${server})`
      : `using context "${selected.contextName}" (${server})${selected.needsClientNode ? ' through client-node' : ''}`,
  );
  // A module of its own so that the release bundles load client-node's code only for these users.
  const auth = selected.needsClientNode
    ? await (await import('./client-node-auth.ts')).clientNodeAuth(selected, target)
    : directAuth(selected);
  const timeout = target.requestTimeoutMs ? { requestTimeoutMs: target.requestTimeoutMs } : {};
  const restOptions = {
    server,
    contextName: selected.contextName,
    ...(selected.inCluster ? { targetDescription: `the in-cluster service account (${server})` } : {}),
    auth,
    ...timeout,
    ...(signal ? { signal } : {}),
  };
  return {
    api: new RestKubeApi(restOptions),
    exec: new WebSocketPodExec({ server, auth, ...timeout }),
    namespace: target.namespace ?? selected.namespace ?? 'default',
    namespaceExplicit: target.namespace !== undefined,
    contextName: selected.contextName,
  };
}

/**
 * Bearer token (re-read from tokenFile on each request: it may rotate, as a pod's projected
 * service-account token does), basic auth or client certificate.
 */
function directAuth(selected: SelectedConfig): Auth {
  const { cluster, user } = selected;
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  const tls = sharedTls({
    ca: pemOf(cluster, 'certificate-authority'),
    cert: pemOf(user, 'client-certificate'),
    key: pemOf(user, 'client-key'),
    rejectUnauthorized: !insecure,
    ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
  });
  if (cluster.server.startsWith('http:') && !insecure) {
    throw new UsageError(`refusing plain http to ${cluster.server}: the kubeconfig cluster must set insecure-skip-tls-verify for http`);
  }
  const agent = cluster.server.startsWith('https:') ? new https.Agent({ ...tls, keepAlive: true }) : new http.Agent({ keepAlive: true });
  return async () => {
    const headers: Record<string, string> = {};
    const tokenFile = user['tokenFile'];
    const token =
      typeof user['token'] === 'string'
        ? user['token']
        : typeof tokenFile === 'string'
          ? readTokenFile(tokenFile, selected.inCluster ? "the pod's service account token" : 'the tokenFile named in the kubeconfig')
          : undefined;
    if (token) headers['Authorization'] = `Bearer ${token}`;
    else if (typeof user['username'] === 'string')
      headers['Authorization'] =
        `Basic ${Buffer.from(`${user['username']}:${typeof user['password'] === 'string' ? user['password'] : ''}`).toString('base64')}`;
    return { agent, headers, tls };
  };
}

type TlsOptions = { ca?: string | Buffer | undefined; cert?: string | Buffer | undefined; key?: string | Buffer | undefined } & Record<
  string,
  unknown
>;

/**
 * The connection's TLS options with one SecureContext built from its CA and client certificate,
 * shared by the agent's connections and every exec WebSocket: without it each connection parses
 * the PEMs again (about 0.1 s of CPU per exec on a small machine, paid per member in a fleet).
 * Material that does not build as-is is passed through, so the connection reports it as before.
 */
export function sharedTls(options: TlsOptions): Record<string, unknown> {
  const { ca, cert, key, ...rest } = options;
  try {
    return { ...rest, secureContext: createSecureContext({ ca, cert, key }) };
  } catch {
    return options;
  }
}

function readTokenFile(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw fileSystemError(err, { path: file, flag, access: 'read' }) ?? err;
  }
}
