/**
 * Reading the restored keyspace: keys per resource type, from `etcdctl get --keys-only` output,
 * and the Secret values of a sample. kube-apiserver stores objects under its etcd prefix
 * (/kubernetes.io on OpenShift, /registry upstream) as /<prefix>/<resource>/<namespace>/<name>,
 * or /<prefix>/<group>/<resource>/... for resources of API groups.
 */

const PREFIXES = new Set(['kubernetes.io', 'registry', 'openshift.io']);
/** Where Secrets live, per prefix: both are sampled. */
export const SECRET_PREFIXES = ['/kubernetes.io/secrets/', '/registry/secrets/'];
/** The resource types always listed in the report, even at 0. */
const HEADLINE = ['secrets', 'configmaps', 'nodes', 'namespaces', 'pods'];

/** The resource type a key belongs to ("secrets", "routes.route.openshift.io"), or "other". */
export function resourceTypeOf(key: string): string {
  const parts = key.split('/');
  if (parts[0] !== '' || !PREFIXES.has(parts[1] ?? '')) return 'other';
  const first = parts[2] ?? '';
  if (first.includes('.') && parts[3]) return `${parts[3]}.${first}`;
  // Kubernetes' storage names: Nodes are "minions", Services "services/specs" and "services/endpoints".
  if (first === 'minions') return 'nodes';
  return first || 'other';
}

/** Counts the keys of `etcdctl get <prefix> --prefix --keys-only` output (keys separated by blank lines). */
export function countKeysByType(keysOnlyOutput: string): { total: number; byType: Record<string, number> } {
  const byType: Record<string, number> = Object.fromEntries(HEADLINE.map((t) => [t, 0]));
  let total = 0;
  for (const line of keysOnlyOutput.split('\n')) {
    if (line === '') continue;
    total++;
    const type = resourceTypeOf(line);
    byType[type] = (byType[type] ?? 0) + 1;
  }
  return { total, byType };
}

/** The values of `etcdctl get ... -w json` (base64 in the JSON), with their keys. */
export function valuesOf(jsonOutput: string): { key: string; value: Buffer }[] {
  try {
    const parsed = JSON.parse(jsonOutput) as { kvs?: { key?: string; value?: string }[] };
    return (parsed.kvs ?? []).map((kv) => ({
      key: Buffer.from(kv.key ?? '', 'base64').toString('utf8'),
      value: Buffer.from(kv.value ?? '', 'base64'),
    }));
  } catch {
    return [];
  }
}

/** "secrets 12, configmaps 40, nodes 2, ..., other 200": the headline types first, then by count. */
export function keysText(byType: Record<string, number>): string {
  const rest = Object.entries(byType)
    .filter(([t]) => !HEADLINE.includes(t))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return [...HEADLINE.map((t) => [t, byType[t] ?? 0] as const), ...rest].map(([t, n]) => `${t} ${n}`).join(', ');
}

/** One etcdctl answer of pod.ts readsScript: its exit code, stdout and stderr. */
export interface ReadAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** The sections of readsScript output by name; a read whose section is missing is absent. */
export function splitReads(output: string, marker: string): Record<string, ReadAnswer> {
  const out: Record<string, ReadAnswer> = {};
  const head = new RegExp(`^${marker} (\\S+) (-?\\d*|stderr)$`, 'gm');
  const marks = [...output.matchAll(head)];
  marks.forEach((m, i) => {
    const from = m.index + m[0].length + 1;
    const to = i + 1 < marks.length ? marks[i + 1]!.index : output.length;
    const body = output.slice(Math.min(from, to), to);
    const name = m[1]!;
    const read = (out[name] ??= { exitCode: -1, stdout: '', stderr: '' });
    if (m[2] === 'stderr') read.stderr = body;
    else {
      read.exitCode = m[2] === '' ? -1 : Number(m[2]);
      // readsScript adds a newline after stdout, so a section always ends on a line of its own.
      read.stdout = body.endsWith('\n') ? body.slice(0, -1) : body;
    }
  });
  return out;
}
