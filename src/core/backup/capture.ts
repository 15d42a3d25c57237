/**
 * Everything a restore needs besides the snapshot, read BEFORE the cluster is touched so a
 * missing encryption key stops the backup before any downtime: the HostedCluster and NodePool
 * manifests as captured, the encryption key material, and the PKI secrets of the control plane.
 */
import { PreconditionError } from '../errors.ts';
import { RESTORE_PKI_SECRETS, Resources, type KubeObject } from '../model.ts';
import type { KubeApi, Reporter } from '../ports.ts';
import type { BackupManifest } from '../bundle/manifest.ts';

export interface CapturedSecret {
  role: 'encryption-key' | 'pki';
  object: KubeObject;
}

export interface Capture {
  /** The live object's uid (the manifest itself carries none). */
  uid: string;
  hostedCluster: KubeObject;
  nodePools: KubeObject[];
  secrets: CapturedSecret[];
  encryption: { type: 'aescbc'; activeKeySecret: string } | { type: 'kms'; kms: Record<string, unknown> } | { type: 'none' };
}

/** Server-set fields that make a manifest unusable for re-creation. */
export function stripServerFields(obj: KubeObject): KubeObject {
  const { status: _status, ...rest } = obj;
  const { uid: _uid, resourceVersion: _rv, managedFields: _mf, generation: _gen, selfLink: _sl, creationTimestamp: _ct, ...metadata } = obj.metadata;
  return { ...rest, metadata };
}

export async function captureRestoreInputs(api: KubeApi, hc: KubeObject, controlPlaneNamespace: string, reporter: Reporter): Promise<Capture> {
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  const spec = (hc['spec'] ?? {}) as {
    secretEncryption?: { type?: string; aescbc?: { activeKey?: { name?: string } }; kms?: Record<string, unknown> };
  };
  const nodePools = (await api.list(Resources.nodePool, namespace)).filter(
    (np) => (np['spec'] as { clusterName?: string } | undefined)?.clusterName === name,
  );
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
  for (const pki of RESTORE_PKI_SECRETS) {
    const secret = await api.get(Resources.secret, controlPlaneNamespace, pki);
    if (secret) secrets.push({ role: 'pki', object: stripServerFields(secret) });
    else reporter.debug(`secret ${controlPlaneNamespace}/${pki} not present; not carried`);
  }
  return { uid: hc.metadata.uid ?? '', hostedCluster: stripServerFields(hc), nodePools: nodePools.map(stripServerFields), secrets, encryption };
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
