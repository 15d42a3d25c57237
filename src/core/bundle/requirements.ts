/**
 * What a restore of a backup needs on the target cluster besides what the backup carries.
 *
 * Contract:
 *  - carriedObjects: every Secret and ConfigMap the bundle stores, with its role and URL, in
 *    the order a restore applies them (HostedCluster namespace first, then the control-plane
 *    namespace; Secrets before ConfigMaps; by name).
 *  - mustAlreadyExist: the Secrets and ConfigMaps a restore cannot create from the bundle and
 *    that must therefore exist on the target cluster before it starts, each with the reason:
 *      format 2 — references that did not exist at backup time, and PKI Secrets not carried;
 *      format 1 (older backups) — every reference of the captured HostedCluster and NodePools
 *      except the encryption key, and every PKI Secret not carried. Such a backup restores on
 *      the cluster it came from, where those objects still are (PKI: while the control-plane
 *      namespace survives); elsewhere they must be created by hand first.
 *    Pure: the caller reads the HostedCluster and NodePool manifests from the bundle.
 */
import { RESTORE_PKI_SECRETS, type KubeObject } from '../model.ts';
import { collectReferences } from '../controlplane/references.ts';
import { formatOf, type BackupManifest, type StoredSecretRole } from './manifest.ts';

export interface CarriedObject {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  role: StoredSecretRole;
  /** s3:// URL of the stored manifest (may be another bucket: --keys-to). */
  url: string;
  /** SHA-256 of the stored file when recorded (format 2, and the encryption key always). */
  sha256?: string;
}

export interface RequiredObject {
  kind: 'Secret' | 'ConfigMap';
  namespace: string;
  name: string;
  /** One sentence: who needs it and why the backup does not carry it. */
  why: string;
}

export function carriedObjects(m: BackupManifest): CarriedObject[] {
  const hcNamespace = m.hostedCluster.namespace;
  const out: CarriedObject[] = m.secrets.map((s) => ({
    kind: 'Secret' as const,
    namespace: s.namespace,
    name: s.name,
    role: s.role,
    url: s.url,
    ...(s.sha256
      ? { sha256: s.sha256 }
      : s.role === 'encryption-key' && m.encryption.type === 'aescbc' && m.encryption.keySha256
        ? { sha256: m.encryption.keySha256 }
        : {}),
  }));
  for (const c of m.configMaps ?? [])
    out.push({ kind: 'ConfigMap', namespace: c.namespace, name: c.name, role: 'reference', url: c.url, sha256: c.sha256 });
  const rank = (o: CarriedObject) => (o.namespace === hcNamespace ? 0 : 1) * 2 + (o.kind === 'Secret' ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export function mustAlreadyExist(m: BackupManifest, hostedCluster: KubeObject, nodePools: readonly KubeObject[]): RequiredObject[] {
  const { namespace, controlPlaneNamespace } = m.hostedCluster;
  const carried = new Set(carriedObjects(m).map((o) => `${o.kind}/${o.namespace}/${o.name}`));
  const required: RequiredObject[] = [];
  const old = formatOf(m) < 2;
  const references =
    old || !m.references
      ? collectReferences(hostedCluster, nodePools).map((r) => ({
          ...r,
          namespace,
          carried: carried.has(`${r.kind}/${namespace}/${r.name}`),
        }))
      : m.references;
  for (const r of references) {
    if (r.carried || carried.has(`${r.kind}/${r.namespace}/${r.name}`)) continue;
    const by = r.referencedBy.join(', ');
    required.push({
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      why: old
        ? `referenced by ${by}; backups before format 2 do not carry it`
        : `referenced by ${by}; it did not exist when the backup was taken`,
    });
  }
  // Without a key the encryption key reference above is already listed; PKI comes next.
  for (const pki of RESTORE_PKI_SECRETS) {
    if (carried.has(`Secret/${controlPlaneNamespace}/${pki}`)) continue;
    required.push({
      kind: 'Secret',
      namespace: controlPlaneNamespace,
      name: pki,
      why: 'a PKI Secret of the control plane the backup does not carry: without the original, HyperShift generates a new one and clients and service-account tokens of the restored data stop working',
    });
  }
  return required;
}
