/**
 * Everything a restore needs besides the snapshot, read BEFORE the cluster is touched so a
 * missing encryption key stops the backup before any downtime: the HostedCluster and NodePool
 * manifests as captured, the encryption key material, the PKI secrets of the control plane,
 * and every Secret and ConfigMap the HostedCluster and its NodePools reference (pull secret,
 * SSH key, trust bundles, identity-provider secrets, ...: controlplane/references.ts), so a
 * restore on another management cluster needs nothing carried by hand.
 * A referenced object that does not exist is not an error here (HyperShift reports it on the
 * HostedCluster); it is warned about and recorded as not carried.
 */
import { PreconditionError } from '../errors.ts';
import { RESTORE_PKI_SECRETS, Resources, stripServerFields, type KubeObject } from '../model.ts';
import type { KubeApi, Reporter } from '../ports.ts';
import { listNodePools } from '../controlplane/hosted-cluster.ts';
import { collectReferences } from '../controlplane/references.ts';
import type { BackupManifest, ReferenceRecord, StoredSecretRole } from '../bundle/manifest.ts';

export interface CapturedSecret {
  role: StoredSecretRole;
  object: KubeObject;
}

export interface Capture {
  /** The live object's uid (the manifest itself carries none). */
  uid: string;
  hostedCluster: KubeObject;
  nodePools: KubeObject[];
  /** The encryption key first, then the referenced Secrets, then the PKI Secrets. */
  secrets: CapturedSecret[];
  /** Referenced ConfigMaps of the HostedCluster's namespace. */
  configMaps: KubeObject[];
  /** Every reference, carried or not (backup.json `references`). */
  references: ReferenceRecord[];
  encryption: { type: 'aescbc'; activeKeySecret: string } | { type: 'kms'; kms: Record<string, unknown> } | { type: 'none' };
}

export async function captureRestoreInputs(
  api: KubeApi,
  hc: KubeObject,
  controlPlaneNamespace: string,
  reporter: Reporter,
): Promise<Capture> {
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  const spec = (hc['spec'] ?? {}) as {
    secretEncryption?: { type?: string; aescbc?: { activeKey?: { name?: string } }; kms?: Record<string, unknown> };
  };
  const nodePools = await listNodePools(api, namespace, name);
  const secrets: CapturedSecret[] = [];
  let encryption: Capture['encryption'] = { type: 'none' };
  const se = spec.secretEncryption;
  if (se?.type === 'aescbc' || se?.aescbc) {
    const keyName = se.aescbc?.activeKey?.name;
    const secret = keyName ? await api.get(Resources.secret, namespace, keyName) : undefined;
    if (!keyName || !secret) {
      throw new PreconditionError(
        `failed to read the etcd encryption key of "${namespace}/${name}": Secret "${keyName ?? '(spec.secretEncryption.aescbc.activeKey.name unset)'}" not found in namespace "${namespace}"`,
        { hint: 'without the original AES-CBC key every Secret in the snapshot is unreadable; find the key before backing up' },
      );
    }
    secrets.push({ role: 'encryption-key', object: stripServerFields(secret) });
    encryption = { type: 'aescbc', activeKeySecret: keyName };
  } else if (se?.type === 'kms' || se?.kms) {
    encryption = { type: 'kms', kms: se.kms ?? {} };
  } else {
    reporter.warn(`HostedCluster "${namespace}/${name}" has no spec.secretEncryption: the backup carries no encryption key`);
  }
  const configMaps: KubeObject[] = [];
  const references: ReferenceRecord[] = [];
  for (const ref of collectReferences(hc, nodePools)) {
    const isKey = ref.kind === 'Secret' && encryption.type === 'aescbc' && ref.name === encryption.activeKeySecret;
    const object = isKey
      ? secrets[0]?.object
      : await api.get(ref.kind === 'Secret' ? Resources.secret : Resources.configMap, namespace, ref.name);
    references.push({ kind: ref.kind, namespace, name: ref.name, referencedBy: ref.referencedBy, carried: object !== undefined });
    if (isKey) continue;
    if (!object) {
      reporter.warn(
        `${ref.kind} "${namespace}/${ref.name}" (${ref.referencedBy.join(', ')}) does not exist: the backup cannot carry it, a restore needs it created first`,
      );
    } else if (ref.kind === 'Secret') {
      secrets.push({ role: 'reference', object: stripServerFields(object) });
    } else {
      configMaps.push(stripServerFields(object));
    }
  }
  for (const pki of RESTORE_PKI_SECRETS) {
    const secret = await api.get(Resources.secret, controlPlaneNamespace, pki);
    if (secret) secrets.push({ role: 'pki', object: stripServerFields(secret) });
    else reporter.debug(`secret ${controlPlaneNamespace}/${pki} not present; not carried`);
  }
  return {
    uid: hc.metadata.uid ?? '',
    hostedCluster: stripServerFields(hc),
    nodePools: nodePools.map(stripServerFields),
    secrets,
    configMaps,
    references,
    encryption,
  };
}

/** The identity fields of backup.json's hostedCluster section. */
export function describeHostedCluster(hc: KubeObject, controlPlaneNamespace: string): BackupManifest['hostedCluster'] {
  const spec = (hc['spec'] ?? {}) as {
    infraID?: string;
    release?: { image?: string };
    platform?: { type?: string };
    services?: { service?: string; servicePublishingStrategy?: { route?: { hostname?: string }; loadBalancer?: { hostname?: string } } }[];
  };
  const api = spec.services?.find((s) => s.service === 'APIServer')?.servicePublishingStrategy;
  return {
    namespace: hc.metadata.namespace ?? '',
    name: hc.metadata.name ?? '',
    uid: hc.metadata.uid ?? '',
    infraID: spec.infraID ?? '',
    releaseImage: spec.release?.image ?? '',
    platform: spec.platform?.type ?? '',
    controlPlaneNamespace,
    apiServerHostname: api?.route?.hostname ?? api?.loadBalancer?.hostname ?? null,
  };
}
