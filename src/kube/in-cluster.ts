/**
 * In-cluster mode: the service-account environment of a pod, used as kubectl and client-go use it.
 * clientcmd's rule (DeferredLoadingClientConfig): when --kubeconfig is not given and the kubeconfig
 * files ($KUBECONFIG, else ~/.kube/config) are absent or select no cluster (no current context, no
 * server), and the pod's environment is complete (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT
 * set, and a token file), the server is https://<host>:<port>, trusted through ca.crt, with the bearer
 * token read from the token file. An explicit --kubeconfig, or --context, is never replaced.
 * The namespace is -n, else $POD_NAMESPACE, else the namespace file, else "default"; a kubeconfig
 * that is used but whose context names no namespace also takes the pod's (as kubectl does).
 *
 * The token is read again before every request (the kubelet rotates projected tokens; client-go
 * re-reads its file each minute), so a rotated token is used from the next request on.
 *
 * HCP_DR_SERVICEACCOUNT_DIR replaces /var/run/secrets/kubernetes.io/serviceaccount: it exists for
 * tests and sandboxes (which cannot write /var/run), never needed in a real pod.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SelectedConfig } from './kubeconfig.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The context name hcp-dr reports for the in-cluster configuration (kubectl has none). */
export const IN_CLUSTER_CONTEXT = 'in-cluster';

export function serviceAccountDir(): string {
  const dir = process.env['HCP_DR_SERVICEACCOUNT_DIR'];
  return dir !== undefined && dir !== '' ? dir : SERVICE_ACCOUNT_DIR;
}

/** client-go's inClusterClientConfig.Possible(): both variables set and the token file present. */
export function inClusterPossible(): boolean {
  const host = process.env['KUBERNETES_SERVICE_HOST'];
  const port = process.env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return false;
  try {
    return !statSync(join(serviceAccountDir(), 'token')).isDirectory();
  } catch {
    return false;
  }
}

/** The pod's namespace: $POD_NAMESPACE (downward API), else the service account's namespace file, else "default". */
export function inClusterNamespace(): string {
  const env = process.env['POD_NAMESPACE'];
  if (env) return env;
  try {
    const ns = readFileSync(join(serviceAccountDir(), 'namespace'), 'utf8').trim();
    if (ns !== '') return ns;
  } catch {
    // no namespace file: kubectl falls back to "default" too
  }
  return 'default';
}

/** The service-account environment as a kubeconfig selection (call only when inClusterPossible()). */
export function inClusterConfig(): SelectedConfig {
  const dir = serviceAccountDir();
  const host = process.env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = process.env['KUBERNETES_SERVICE_PORT'] ?? '';
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const ca = join(dir, 'ca.crt');
  let haveCa = false;
  try {
    haveCa = statSync(ca).isFile();
  } catch {
    // client-go logs and goes on with the system's roots when ca.crt cannot be loaded
  }
  return {
    paths: [],
    contextName: IN_CLUSTER_CONTEXT,
    namespace: inClusterNamespace(),
    cluster: { server: `https://${hostPort}`, ...(haveCa ? { 'certificate-authority': ca } : {}) },
    user: { tokenFile: join(dir, 'token') },
    needsClientNode: false,
    inCluster: true,
  };
}
