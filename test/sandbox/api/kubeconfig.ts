/** kubeconfig for the simulator: plain http, so the cluster entry must say insecure-skip-tls-verify. */
import { writeFile, chmod } from 'node:fs/promises';
import yaml from 'js-yaml';
import type { KubeconfigOptions } from './types.ts';

export function kubeconfigYaml(url: string, options: KubeconfigOptions): string {
  const name = options.contextName ?? 'sim';
  const context: Record<string, string> = { cluster: name, user: `${name}-user` };
  if (options.namespace) context['namespace'] = options.namespace;
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: `${name}-user`, user: { token: options.token } }],
    contexts: [{ name, context }],
    'current-context': name,
    preferences: {},
  });
}

/** `url` must already be the listener the options ask for (http or https). */
export async function writeKubeconfigFile(path: string, url: string, options: KubeconfigOptions): Promise<string> {
  await writeFile(path, kubeconfigYaml(url, options), { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

/** One kubeconfig naming several API servers, a context each; the first is the current context. */
export function multiKubeconfigYaml(entries: { url: string; options: KubeconfigOptions }[]): string {
  const docs = entries.map(
    (e) =>
      yaml.load(kubeconfigYaml(e.url, e.options)) as {
        clusters: unknown[];
        users: unknown[];
        contexts: unknown[];
        'current-context': string;
      },
  );
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: docs.flatMap((d) => d.clusters),
    users: docs.flatMap((d) => d.users),
    contexts: docs.flatMap((d) => d.contexts),
    'current-context': docs[0]?.['current-context'] ?? '',
    preferences: {},
  });
}
