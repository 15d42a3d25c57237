/**
 * What becomes of each exported Secret under --secrets:
 *   omit     → no object; secrets-required.yaml lists it, its keys and why it is needed
 *   sealed   → a bitnami.com/v1alpha1 SealedSecret (strict scope) the controller unseals
 *   external → an external-secrets.io/v1 ExternalSecret reading `<namespace>/<name>` from the store
 *   plain    → the Secret itself (file mode 0600, git-ignored)
 * The target Secret keeps the source's type, labels and annotations (already cleaned).
 */
import type { KubeObject } from '../model.ts';
import type { ExportOptions, MissingRef } from './types.ts';
import type { ObjectRef } from '../controlplane/references.ts';
import { derivationKey, sealValue, sealingKeyFromPem } from './sealed.ts';

export interface SecretOutput {
  /** The object to write, or undefined in omit mode. */
  object?: KubeObject;
  /** Whether the written object holds Secret values in plain text. */
  plain: boolean;
}

export interface RequiredSecret {
  namespace: string;
  name: string;
  kind: 'Secret' | 'ConfigMap';
  type?: string;
  keys: string[];
  /** Whether the source held it (false: the export could not read it either). */
  inSource: boolean;
  referencedBy: string[];
}

function dataOf(secret: KubeObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const data = (secret['data'] ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, 'base64');
  const stringData = (secret['stringData'] ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(stringData)) out[k] = Buffer.from(v, 'utf8');
  return out;
}

function templateMeta(secret: KubeObject): Record<string, unknown> {
  const m = secret.metadata;
  return {
    name: m.name,
    namespace: m.namespace,
    ...(m.labels ? { labels: m.labels } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  };
}

/** Converts every Secret at once (sealing derives its keys from all of them). */
export function convertSecrets(secrets: readonly KubeObject[], options: ExportOptions): SecretOutput[] {
  switch (options.secrets) {
    case 'omit':
      return secrets.map(() => ({ plain: false }));
    case 'plain':
      return secrets.map((s) => ({ object: s, plain: true }));
    case 'external': {
      const ext = options.external ?? { store: 'default', storeKind: 'SecretStore' as const };
      return secrets.map((s) => ({ object: externalSecret(s, ext.store, ext.storeKind), plain: false }));
    }
    case 'sealed': {
      const key = sealingKeyFromPem(options.sealed?.certPem ?? '', 'given with --cert');
      const decoded = secrets.map((s) => ({ namespace: s.metadata.namespace ?? '', name: s.metadata.name ?? '', data: dataOf(s) }));
      const derivation = derivationKey(decoded);
      return secrets.map((s, i) => {
        const { namespace, name, data } = decoded[i] as (typeof decoded)[number];
        const label = Buffer.from(`${namespace}/${name}`);
        const encryptedData: Record<string, string> = {};
        for (const k of Object.keys(data).sort()) encryptedData[k] = sealValue(key, data[k] as Buffer, label, derivation, k);
        const object: KubeObject = {
          apiVersion: 'bitnami.com/v1alpha1',
          kind: 'SealedSecret',
          metadata: { name, namespace },
          spec: { encryptedData, template: { metadata: templateMeta(s), type: s['type'] ?? 'Opaque' } },
        };
        return { object, plain: false };
      });
    }
  }
}

function externalSecret(secret: KubeObject, store: string, storeKind: string): KubeObject {
  const { name, namespace } = secret.metadata;
  const keys = Object.keys(dataOf(secret)).sort();
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { name: store, kind: storeKind },
      target: { name, creationPolicy: 'Owner', template: { type: secret['type'] ?? 'Opaque', metadata: templateMeta(secret) } },
      data: keys.map((k) => ({ secretKey: k, remoteRef: { key: `${namespace}/${name}`, property: k } })),
    },
  };
}

/** The entries of secrets-required.yaml: omitted Secrets plus every reference the source lacked. */
export function requiredList(omitted: readonly KubeObject[], refs: readonly ObjectRef[], missing: readonly MissingRef[]): RequiredSecret[] {
  const why = new Map(refs.map((r) => [`${r.kind}/${r.name}`, r.referencedBy]));
  const out: RequiredSecret[] = omitted.map((s) => ({
    namespace: s.metadata.namespace ?? '',
    name: s.metadata.name ?? '',
    kind: 'Secret' as const,
    type: typeof s['type'] === 'string' ? s['type'] : 'Opaque',
    keys: Object.keys(dataOf(s)).sort(),
    inSource: true,
    referencedBy: why.get(`Secret/${s.metadata.name}`) ?? ['control-plane PKI: restored etcd data is unusable without it'],
  }));
  for (const m of missing) {
    out.push({ namespace: m.namespace, name: m.name, kind: m.kind, keys: [], inSource: false, referencedBy: m.referencedBy });
  }
  return out.sort((a, b) => `${a.namespace}/${a.kind}/${a.name}`.localeCompare(`${b.namespace}/${b.kind}/${b.name}`));
}
