/**
 * Reads kubeconfig files the way kubectl does: --kubeconfig, else every path of $KUBECONFIG
 * (missing ones skipped; the first file to name a cluster, user, context or current-context
 * wins), else ~/.kube/config. Relative file paths resolve against the file that names them.
 * Token and client-certificate users (what `oc login` and admin kubeconfigs hold) need nothing
 * more; exec plugins, auth providers and proxies are left to @kubernetes/client-node.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import yaml from 'js-yaml';
import { causeText, UsageError, type ErrorDetails } from '../core/errors.ts';
import { fileSystemError } from '../core/environment-errors.ts';
import type { KubeTarget } from '../core/ports.ts';
import { inClusterConfig, inClusterNamespace, inClusterPossible } from './in-cluster.ts';

type Entry = Record<string, unknown>;

export interface SelectedConfig {
  /** The files read, in order. */
  paths: string[];
  contextName: string;
  namespace: string | undefined;
  cluster: Entry & { server: string };
  user: Entry;
  /** True when only client-node can authenticate this user (exec plugin, auth provider, proxy). */
  needsClientNode: boolean;
  /** True when this is the pod's service-account environment, not a kubeconfig (in-cluster.ts). */
  inCluster?: boolean;
}

export function kubeconfigPaths(target: KubeTarget): string[] {
  if (target.kubeconfig !== undefined) return [target.kubeconfig];
  const env = process.env['KUBECONFIG'];
  if (env) return env.split(delimiter).filter((p) => p !== '');
  return [join(process.env['HOME'] ?? homedir(), '.kube', 'config')];
}

export function selectKubeconfig(target: KubeTarget): SelectedConfig {
  const paths = kubeconfigPaths(target);
  const existing = paths.filter((p) => existsSync(p));
  if (target.kubeconfig !== undefined && existing.length === 0) {
    throw kubeconfigError(`kubeconfig file "${target.kubeconfig}" does not exist`, {
      hint: 'pass the path of a kubeconfig with --kubeconfig',
    });
  }
  if (existing.length === 0) {
    if (target.context === undefined && inClusterPossible()) return inClusterConfig();
    throw kubeconfigError(`no kubeconfig found (looked in ${paths.join(', ')})`, {
      hint: 'log in to the management cluster (oc login), or pass --kubeconfig (in a pod, the service account is used)',
    });
  }
  const clusters = new Map<string, Entry>();
  const users = new Map<string, Entry>();
  const contexts = new Map<string, Entry>();
  let current: string | undefined;
  for (const path of existing) {
    const doc = parseFile(path);
    const base = dirname(path);
    for (const c of list(doc['clusters']))
      if (!clusters.has(String(c['name']))) clusters.set(String(c['name']), absolutize(c['cluster'], base, ['certificate-authority']));
    for (const u of list(doc['users']))
      if (!users.has(String(u['name'])))
        users.set(String(u['name']), absolutize(u['user'], base, ['client-certificate', 'client-key', 'tokenFile']));
    for (const c of list(doc['contexts']))
      if (!contexts.has(String(c['name']))) contexts.set(String(c['name']), (c['context'] ?? {}) as Entry);
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context'] !== '') current = doc['current-context'];
  }
  if (target.context !== undefined && !contexts.has(target.context)) {
    const known = [...contexts.keys()];
    throw kubeconfigError(`context "${target.context}" does not exist in the kubeconfig`, {
      hint: known.length ? `use one of: ${known.join(', ')}` : 'the kubeconfig has no contexts',
    });
  }
  const contextName = target.context ?? current ?? '';
  const context = contexts.get(contextName);
  const cluster = context ? clusters.get(String(context['cluster'])) : undefined;
  if (!context || !cluster || typeof cluster['server'] !== 'string' || cluster['server'] === '') {
    // clientcmd's "empty config": a kubeconfig that selects no cluster gives way to the pod's service account.
    if (target.context === undefined && inClusterPossible()) return inClusterConfig();
    throw kubeconfigError(context ? `context "${contextName}" names no usable cluster` : 'the kubeconfig has no current context', {
      hint: 'pass --context, or set one with "kubectl config use-context <name>"',
    });
  }
  const user = users.get(String(context['user'])) ?? {};
  const namespace = typeof context['namespace'] === 'string' && context['namespace'] !== '' ? context['namespace'] : undefined;
  return {
    paths: existing,
    contextName,
    // kubectl in a pod: a context without a namespace takes the pod's.
    namespace: namespace ?? (inClusterPossible() ? inClusterNamespace() : undefined),
    cluster: cluster as Entry & { server: string },
    user,
    needsClientNode: user['exec'] !== undefined || user['auth-provider'] !== undefined || cluster['proxy-url'] !== undefined,
  };
}

/**
 * Every way the kubeconfig cannot say which cluster to use (no file, no current context, an
 * unknown --context, a file that is not a kubeconfig) is one documented answer: exit 2, nothing touched.
 */
function kubeconfigError(message: string, details: ErrorDetails): UsageError {
  return new UsageError(message, details, 'HCPDR_KUBECONFIG');
}

function parseFile(path: string): Entry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw (
      fileSystemError(err, { path, flag: 'the kubeconfig', access: 'read' }) ??
      kubeconfigError(`failed to read kubeconfig ${path}: ${causeText(err)}`, { cause: err })
    );
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw kubeconfigError(`failed to read kubeconfig ${path}: not YAML: ${causeText(err).split('\n')[0]}`, {
      cause: err,
      hint: KUBECONFIG_HINT,
    });
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw kubeconfigError(`failed to read kubeconfig ${path}: not a kubeconfig (a YAML mapping with clusters, users and contexts)`, {
      hint: KUBECONFIG_HINT,
    });
  }
  return doc as Entry;
}

const KUBECONFIG_HINT = 'pass a kubeconfig file with --kubeconfig (as written by "oc login" or "kubectl config view --raw")';

const list = (value: unknown): Entry[] => (Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Entry[]) : []);

function absolutize(value: unknown, base: string, keys: string[]): Entry {
  const entry = { ...((value ?? {}) as Entry) };
  for (const key of keys) {
    const p = entry[key];
    if (typeof p === 'string' && p !== '' && !isAbsolute(p)) entry[key] = join(base, p);
  }
  return entry;
}

/** PEM bytes from `<name>-data` (base64) or the file `<name>`. */
export function pemOf(entry: Entry, name: string): Buffer | undefined {
  const data = entry[`${name}-data`];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64');
  const file = entry[name];
  if (typeof file === 'string' && file !== '') {
    try {
      return readFileSync(file);
    } catch (err) {
      throw (
        fileSystemError(err, { path: file, flag: `the ${name} named in the kubeconfig`, access: 'read' }) ??
        kubeconfigError(`failed to read ${name} file "${file}" named in the kubeconfig: ${causeText(err)}`, { cause: err })
      );
    }
  }
  return undefined;
}
