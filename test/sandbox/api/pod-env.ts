/**
 * What a kubelet gives a container's process, for the simulator's Job runner (job-runner.ts): its
 * environment and its argv.
 *  - env: `envFrom` (secretRef / configMapRef, with `prefix`) first, then `env` entries in order, each
 *    `value` (with `$(VAR)` references to earlier variables expanded, `$$(VAR)` kept literally) or
 *    `valueFrom` secretKeyRef / configMapKeyRef / fieldRef (metadata.name, metadata.namespace,
 *    metadata.uid, spec.serviceAccountName, spec.nodeName). A missing Secret, ConfigMap or key that is
 *    not `optional` is the kubelet's CreateContainerConfigError: `missing` names it and the container
 *    does not start (the runner retries, as the kubelet does).
 *  - argv: an image's entrypoint is what `imageCommand(image)` answers (the built plugin or binary);
 *    a container `command` replaces it, its first element naming a program inside the image and so
 *    replaced by that same entrypoint (`["hcp-dr", "backup", ...]` runs `<entrypoint> backup ...`);
 *    `args` follow. `$(VAR)` references in both are expanded from the container's environment.
 */
import type { SimObject, SimStore } from './types.ts';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<{
    prefix?: string;
    secretRef?: { name: string; optional?: boolean };
    configMapRef?: { name: string; optional?: boolean };
  }>;
}

const SECRETS = { group: '', version: 'v1', plural: 'secrets' };
const CONFIG_MAPS = { group: '', version: 'v1', plural: 'configmaps' };

/** The key/value pairs of a Secret (data is base64; stringData too, as the simulator stores writes verbatim) or ConfigMap. */
function pairs(o: SimObject, secret: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const data = (o['data'] ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) out[k] = secret ? Buffer.from(v, 'base64').toString('utf8') : v;
  for (const [k, v] of Object.entries((o['stringData'] ?? {}) as Record<string, string>)) out[k] = v;
  return out;
}

/** kube's $(VAR) expansion: defined names are replaced, `$$` escapes, unknown references stay as written. */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    m === '$$' ? '$' : name !== undefined && name in env ? (env[name] ?? '') : m,
  );
}

export interface ResolvedEnv {
  env: Record<string, string>;
  /** Set when the container cannot start yet: the kubelet's CreateContainerConfigError message. */
  missing?: string;
}

export function containerEnv(store: SimStore, pod: SimObject, container: ContainerSpec): ResolvedEnv {
  const ns = pod.metadata.namespace ?? 'default';
  const env: Record<string, string> = {};
  const lookup = (secret: boolean, name: string) => store.get(secret ? SECRETS : CONFIG_MAPS, ns, name);
  const what = (secret: boolean) => (secret ? 'secret' : 'configmap');
  for (const from of container.envFrom ?? []) {
    const secret = from.secretRef !== undefined;
    const ref = from.secretRef ?? from.configMapRef;
    if (!ref) continue;
    const o = lookup(secret, ref.name);
    if (!o) {
      if (ref.optional) continue;
      return { env, missing: `${what(secret)} "${ref.name}" not found` };
    }
    for (const [k, v] of Object.entries(pairs(o, secret))) env[`${from.prefix ?? ''}${k}`] = v;
  }
  const spec = (pod['spec'] ?? {}) as { serviceAccountName?: string; nodeName?: string };
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': ns,
    'metadata.uid': pod.metadata.uid,
    'spec.serviceAccountName': spec.serviceAccountName,
    'spec.nodeName': spec.nodeName,
  };
  for (const v of container.env ?? []) {
    if (v.valueFrom?.fieldRef) {
      env[v.name] = fields[v.valueFrom.fieldRef.fieldPath] ?? '';
      continue;
    }
    const keyRef = v.valueFrom?.secretKeyRef ?? v.valueFrom?.configMapKeyRef;
    if (keyRef) {
      const secret = v.valueFrom?.secretKeyRef !== undefined;
      const o = lookup(secret, keyRef.name);
      const value = o ? pairs(o, secret)[keyRef.key] : undefined;
      if (value === undefined) {
        if (keyRef.optional) continue;
        return {
          env,
          missing: o
            ? `couldn't find key ${keyRef.key} in ${what(secret)} ${ns}/${keyRef.name}`
            : `${what(secret)} "${keyRef.name}" not found`,
        };
      }
      env[v.name] = value;
      continue;
    }
    env[v.name] = expand(v.value ?? '', env);
  }
  return { env };
}

/** The process's argv: the image's entrypoint (`entrypoint`), replaced program of `command`, then `args`, all expanded. */
export function containerArgv(entrypoint: string[], container: ContainerSpec, env: Record<string, string>): string[] {
  const rest = [...(container.command ?? []).slice(1), ...(container.args ?? [])];
  return [...entrypoint, ...rest.map((a) => expand(a, env))];
}
