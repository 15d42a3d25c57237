/**
 * Loads the kubeconfig the way kubectl does (--kubeconfig, else every path of $KUBECONFIG
 * merged, else ~/.kube/config), selects the context, and builds the REST and exec adapters.
 * This is the only module that imports @kubernetes/client-node, for kubeconfig parsing and
 * authentication (tokens, client certificates, exec credential plugins).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { PreconditionError, UsageError } from '../core/errors.ts';
import type { Reporter } from '../core/ports.ts';
import type { KubeSession, KubeTarget } from '../cli/deps.ts';
import { WebSocketPodExec } from './exec.ts';
import { RestKubeApi, type RequestAuth } from './rest.ts';

export async function connectKube(target: KubeTarget, reporter: Reporter): Promise<KubeSession> {
  const kc = loadKubeConfig(target);
  if (target.context !== undefined) {
    if (!kc.getContextObject(target.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new UsageError(`context "${target.context}" does not exist in the kubeconfig`, {
        hint: known.length ? `use one of: ${known.join(', ')}` : 'the kubeconfig has no contexts',
      });
    }
    kc.setCurrentContext(target.context);
  }
  const contextName = kc.getCurrentContext();
  const context = kc.getContextObject(contextName);
  const cluster = kc.getCurrentCluster();
  if (!context || !cluster) {
    throw new PreconditionError('the kubeconfig has no current context', {
      hint: 'pass --context, or set one with "kubectl config use-context <name>"',
    });
  }
  reporter.debug(`using context "${contextName}" (${cluster.server})`);
  const auth = async (): Promise<RequestAuth & { tls: Record<string, unknown> }> => {
    const opts: { agent?: RequestAuth['agent']; headers?: Record<string, string>; [k: string]: unknown } = {};
    await kc.applyToHTTPSOptions(opts as never);
    const { agent, headers, ca, cert, key, rejectUnauthorized } = opts;
    return { agent, headers: { ...(headers ?? {}) }, tls: { ca, cert, key, rejectUnauthorized } };
  };
  const restOptions = { server: cluster.server, contextName, auth, ...(target.requestTimeoutMs ? { requestTimeoutMs: target.requestTimeoutMs } : {}) };
  return {
    api: new RestKubeApi(restOptions),
    exec: new WebSocketPodExec({ server: cluster.server, auth }),
    namespace: target.namespace ?? context.namespace ?? 'default',
    namespaceExplicit: target.namespace !== undefined,
    contextName,
  };
}

function loadKubeConfig(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  const paths = target.kubeconfig !== undefined ? [target.kubeconfig] : defaultPaths();
  const existing = paths.filter((p) => existsSync(p));
  if (target.kubeconfig !== undefined && existing.length === 0) {
    throw new UsageError(`kubeconfig file "${target.kubeconfig}" does not exist`, { hint: 'pass the path of a kubeconfig with --kubeconfig' });
  }
  if (existing.length === 0) {
    throw new PreconditionError(`no kubeconfig found (looked in ${paths.join(', ')})`, {
      hint: 'log in to the management cluster (oc login), or pass --kubeconfig',
    });
  }
  try {
    kc.loadFromFile(existing[0] as string);
    for (const path of existing.slice(1)) mergeFirstWins(kc, path);
  } catch (err) {
    throw new UsageError(`failed to read kubeconfig ${existing.join(delimiter)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return kc;
}

/** kubectl's merge rule for $KUBECONFIG: the first file to set a name (or current-context) wins. */
function mergeFirstWins(kc: KubeConfig, path: string): void {
  const more = new KubeConfig();
  more.loadFromFile(path);
  for (const cluster of more.getClusters()) if (!kc.getCluster(cluster.name)) kc.addCluster(cluster);
  for (const user of more.getUsers()) if (!kc.getUser(user.name)) kc.addUser(user);
  for (const context of more.getContexts()) if (!kc.getContextObject(context.name)) kc.addContext(context);
  if (!kc.getCurrentContext() && more.getCurrentContext()) kc.setCurrentContext(more.getCurrentContext());
}

/** $KUBECONFIG's paths (missing ones skipped, as kubectl does), else ~/.kube/config. */
function defaultPaths(): string[] {
  const env = process.env['KUBECONFIG'];
  if (env) return env.split(delimiter).filter((p) => p !== '');
  return [join(process.env['HOME'] ?? homedir(), '.kube', 'config')];
}
