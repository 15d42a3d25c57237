/**
 * Which Secrets and ConfigMaps in the HostedCluster's namespace a HostedCluster and its
 * NodePools reference, with the field that references each (the "why" of secrets-required).
 * Field names follow hostedcluster_types.go, nodepool_types.go and config.openshift.io/v1.
 * Shared by backup (what it carries), export (what it lists as required) and restore (what
 * must exist before the HostedCluster is created). Pure; output sorted and deterministic.
 */
import type { KubeObject } from '../model.ts';

export interface ObjectRef {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  /** Field paths that reference it, e.g. "HostedCluster spec.pullSecret". Sorted, unique. */
  referencedBy: string[];
}

type Json = Record<string, unknown>;

function at(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[part];
  }
  return cur;
}

function nameAt(root: unknown, path: string): string | undefined {
  const n = at(root, `${path}.name`);
  return typeof n === 'string' && n !== '' ? n : undefined;
}

/** Direct `{name}` references of a HostedCluster spec: [path, kind]. */
const HOSTED_CLUSTER_REFS: ReadonlyArray<readonly [string, 'Secret' | 'ConfigMap']> = [
  ['pullSecret', 'Secret'],
  ['sshKey', 'Secret'],
  ['secretEncryption.aescbc.activeKey', 'Secret'],
  ['secretEncryption.aescbc.backupKey', 'Secret'],
  ['additionalTrustBundle', 'ConfigMap'],
  ['auditWebhook', 'Secret'],
  ['serviceAccountSigningKey', 'Secret'],
  ['etcd.unmanaged.tls.clientSecret', 'Secret'],
  ['configuration.apiServer.clientCA', 'ConfigMap'],
  ['configuration.proxy.trustedCA', 'ConfigMap'],
  ['configuration.image.additionalTrustedCA', 'ConfigMap'],
  ['configuration.oauth.templates.login', 'Secret'],
  ['configuration.oauth.templates.providerSelection', 'Secret'],
  ['configuration.oauth.templates.error', 'Secret'],
  ['platform.kubevirt.credentials.infraKubeConfigSecret', 'Secret'],
  ['platform.openstack.identityRef', 'Secret'],
];

/** Keys inside an identity provider (config.openshift.io/v1 IdentityProvider) and what they name. */
const IDP_KEYS: Readonly<Record<string, 'Secret' | 'ConfigMap'>> = {
  clientSecret: 'Secret',
  fileData: 'Secret',
  bindPassword: 'Secret',
  tlsClientCert: 'Secret',
  tlsClientKey: 'Secret',
  ca: 'ConfigMap',
};

export class RefCollector {
  private readonly refs = new Map<string, ObjectRef>();

  add(kind: 'Secret' | 'ConfigMap', name: string, by: string): void {
    const key = `${kind}/${name}`;
    const ref = this.refs.get(key) ?? { kind, name, referencedBy: [] };
    if (!ref.referencedBy.includes(by)) ref.referencedBy.push(by);
    this.refs.set(key, ref);
  }

  /** Sorted by kind then name; referencedBy sorted: the output is deterministic. */
  result(): ObjectRef[] {
    return [...this.refs.values()]
      .map((r) => ({ ...r, referencedBy: [...r.referencedBy].sort() }))
      .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind.localeCompare(b.kind)));
  }
}

export function collectReferences(hostedCluster: KubeObject, nodePools: readonly KubeObject[]): ObjectRef[] {
  const c = new RefCollector();
  const spec = hostedCluster['spec'];
  for (const [path, kind] of HOSTED_CLUSTER_REFS) {
    const name = nameAt(spec, path);
    if (name) c.add(kind, name, `HostedCluster spec.${path}`);
  }
  const named = at(spec, 'configuration.apiServer.servingCerts.namedCertificates');
  if (Array.isArray(named)) {
    named.forEach((cert, i) => {
      const name = nameAt(cert, 'servingCertificate');
      if (name) c.add('Secret', name, `HostedCluster spec.configuration.apiServer.servingCerts.namedCertificates[${i}].servingCertificate`);
    });
  }
  const idps = at(spec, 'configuration.oauth.identityProviders');
  if (Array.isArray(idps)) {
    idps.forEach((idp, i) => walkIdp(idp, `HostedCluster spec.configuration.oauth.identityProviders[${i}]`, c));
  }
  const oidc = at(spec, 'configuration.authentication.oidcProviders');
  if (Array.isArray(oidc)) {
    oidc.forEach((p, i) => {
      const base = `HostedCluster spec.configuration.authentication.oidcProviders[${i}]`;
      const ca = nameAt(p, 'issuer.issuerCertificateAuthority');
      if (ca) c.add('ConfigMap', ca, `${base}.issuer.issuerCertificateAuthority`);
      const clients = at(p, 'oidcClients');
      if (Array.isArray(clients)) {
        clients.forEach((cl, j) => {
          const s = nameAt(cl, 'clientSecret');
          if (s) c.add('Secret', s, `${base}.oidcClients[${j}].clientSecret`);
        });
      }
    });
  }
  for (const np of nodePools) {
    const npName = np.metadata.name ?? '';
    for (const field of ['config', 'tuningConfig'] as const) {
      const list = at(np['spec'], field);
      if (!Array.isArray(list)) continue;
      list.forEach((ref, i) => {
        const name = ref && typeof ref === 'object' ? (ref as Json)['name'] : undefined;
        if (typeof name === 'string' && name !== '') c.add('ConfigMap', name, `NodePool ${npName} spec.${field}[${i}]`);
      });
    }
  }
  return c.result();
}

/** Identity providers nest their references one level down (openID.clientSecret, ldap.ca, ...). */
function walkIdp(idp: unknown, base: string, c: RefCollector): void {
  if (!idp || typeof idp !== 'object') return;
  for (const [typeKey, body] of Object.entries(idp as Json)) {
    if (!body || typeof body !== 'object' || Array.isArray(body)) continue;
    for (const [field, kind] of Object.entries(IDP_KEYS)) {
      const name = nameAt(body, field);
      if (name) c.add(kind, name, `${base}.${typeKey}.${field}`);
    }
  }
}
