/**
 * Everything a restore needs besides the snapshot, read BEFORE the cluster is touched so a
 * missing encryption key stops the backup before any downtime: the HostedCluster and NodePool
 * manifests as captured, the encryption key material, the Secrets of the control-plane namespace
 * that carry its identity (every CA, the service-account key, ...: bundle/control-plane-secrets.ts),
 * and every Secret and ConfigMap the HostedCluster and its NodePools reference (pull secret,
 * SSH key, trust bundles, identity-provider secrets, ...: controlplane/references.ts), so a
 * restore on another management cluster needs nothing carried by hand.
 * A referenced object that does not exist is not an error here (HyperShift reports it on the
 * HostedCluster); it is warned about and recorded as not carried.
 */
import { readManagementIdentity, type ManagementClusterIdentity } from '../controlplane/management-cluster.ts';
import { ForbiddenError, PreconditionError, causeText } from '../errors.ts';
import { Resources, stripServerFields, type KubeObject } from '../model.ts';
import type { KubeApi, Reporter } from '../ports.ts';
import { listNodePools } from '../controlplane/hosted-cluster.ts';
import { collectReferences } from '../controlplane/references.ts';
import type { BackupManifest, ControlPlaneSecretsRecord, ReferenceRecord, StoredSecretRole } from '../bundle/manifest.ts';
import { IDENTITY_SECRETS, selectControlPlaneSecrets } from '../bundle/control-plane-secrets.ts';

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
  /** What of the control-plane namespace is carried and what left out (names only; backup.json). */
  controlPlaneSecrets: ControlPlaneSecretsRecord;
  /** The management cluster the backup is taken on (backup.json `managementCluster`), when readable. */
  managementCluster?: ManagementClusterIdentity;
}

/** The management cluster's identity; `warn` hears why a part could not be read. */
export type ManagementIdentityReader = (warn: (message: string) => void) => Promise<ManagementClusterIdentity | undefined>;

/**
 * The identity read once for the backups of a fleet (it is the same for all of them), each
 * backup's `warn` still hearing why it could not be read.
 */
export function sharedManagementIdentity(api: KubeApi): ManagementIdentityReader {
  let read: Promise<{ identity: ManagementClusterIdentity | undefined; warnings: string[] }> | undefined;
  return async (warn) => {
    read ??= (async () => {
      const warnings: string[] = [];
      return { identity: await readManagementIdentity(api, (m) => warnings.push(m)), warnings };
    })();
    const { identity, warnings } = await read;
    for (const w of warnings) warn(w);
    return identity;
  };
}

export async function captureRestoreInputs(
  api: KubeApi,
  hc: KubeObject,
  controlPlaneNamespace: string,
  reporter: Reporter,
  readIdentity: ManagementIdentityReader = (warn) => readManagementIdentity(api, warn),
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
  const copies = new Set(secrets.map((s) => s.object.metadata.name ?? ''));
  const controlPlane = await captureControlPlaneSecrets(api, controlPlaneNamespace, name, copies, reporter);
  for (const object of controlPlane.objects) secrets.push({ role: 'pki', object });
  const managementCluster = await readIdentity((m) => reporter.warn(m));
  return {
    ...(managementCluster ? { managementCluster } : {}),
    uid: hc.metadata.uid ?? '',
    hostedCluster: stripServerFields(hc),
    nodePools: nodePools.map(stripServerFields),
    secrets,
    configMaps,
    references,
    encryption,
    controlPlaneSecrets: controlPlane.record,
  };
}

/**
 * Every Secret of the control-plane namespace a restore needs for continuity (selection and
 * exclusions: bundle/control-plane-secrets.ts). Without permission to list Secrets there, the
 * identity Secrets are read one by one, and the backup says what it could not look at.
 */
async function captureControlPlaneSecrets(
  api: KubeApi,
  controlPlaneNamespace: string,
  hostedClusterName: string,
  copies: ReadonlySet<string>,
  reporter: Reporter,
): Promise<{ objects: KubeObject[]; record: ControlPlaneSecretsRecord }> {
  let all: KubeObject[];
  try {
    all = await api.list(Resources.secret, controlPlaneNamespace);
  } catch (err) {
    if (!(err instanceof ForbiddenError)) throw err;
    reporter.warn(
      `cannot list Secrets in ${controlPlaneNamespace} (${causeText(err)}): carrying only the identity Secrets read by name; grant "list secrets" there to carry every one`,
    );
    // Neither list nor get: the missing permission to name is the declared one, "list".
    const byName = await Promise.all(IDENTITY_SECRETS.map((n) => api.get(Resources.secret, controlPlaneNamespace, n))).catch(
      (getErr: unknown) => {
        throw getErr instanceof ForbiddenError ? err : getErr;
      },
    );
    all = byName.filter((s): s is KubeObject => s !== undefined);
  }
  const { carried, excluded } = selectControlPlaneSecrets(all, hostedClusterName, copies);
  const names = new Set(carried.map((s) => s.metadata.name ?? ''));
  for (const n of IDENTITY_SECRETS) if (!names.has(n)) reporter.debug(`secret ${controlPlaneNamespace}/${n} not present; not carried`);
  return {
    objects: carried.map(stripServerFields),
    record: { namespace: controlPlaneNamespace, carried: [...names], excluded },
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
