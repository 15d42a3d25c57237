/**
 * Authentication through @kubernetes/client-node for the users the direct path does not serve:
 * exec credential plugins, auth providers, proxies. Imported only for them (session.ts).
 */
import type { KubeTarget } from '../core/ports.ts';
import { causeText, EnvironmentError, HcpDrError } from '../core/errors.ts';
import { programError } from '../core/environment-errors.ts';
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
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (err) {
      throw credentialPluginError(err, selected);
    }
    const { agent, headers, ca, cert, key, rejectUnauthorized } = opts;
    return { agent, headers: { ...(headers ?? {}) }, tls: { ca, cert, key, rejectUnauthorized } };
  };
}

/**
 * client-node runs an exec credential plugin per request: a missing program rejects with the
 * spawn error, a failing one with its stderr (possibly empty), bad output with a SyntaxError.
 */
export function credentialPluginError(err: unknown, selected: Pick<SelectedConfig, 'user' | 'contextName'>): HcpDrError {
  if (err instanceof HcpDrError) return err;
  const exec = selected.user['exec'] as { command?: unknown; args?: unknown } | undefined;
  const command = typeof exec?.command === 'string' ? exec.command : undefined;
  if (!command) {
    return new EnvironmentError(
      `failed to get credentials for context "${selected.contextName}": ${causeText(err).trim() || 'the auth provider failed'}`,
      {
        cause: err,
        hint: 'log in again (oc login) or check the user of this context in the kubeconfig',
      },
      'HCPDR_CREDENTIALS',
    );
  }
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'EACCES') {
    return programError(err, 'run the credential plugin');
  }
  const args = Array.isArray(exec?.args) ? exec.args.map(String) : [];
  const shown = [command, ...args].join(' ');
  const detail =
    err instanceof SyntaxError
      ? `it printed no ExecCredential JSON (${err.message})`
      : causeText(err).trim().split('\n').at(-1) || 'it exited with an error and printed nothing';
  return new EnvironmentError(
    `failed to get credentials from the exec plugin "${command}" of context "${selected.contextName}": ${detail}`,
    {
      cause: err,
      hint: `run "${shown}" yourself to see why it fails; log in again if its session expired`,
    },
    'HCPDR_CREDENTIAL_PLUGIN',
  );
}
