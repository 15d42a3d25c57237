/**
 * `create cluster --render` output → restore-ready manifests. Pure: text and values in,
 * objects and messages out. Every input object is kept, in order; only what a restore
 * requires changes:
 *  - spec.etcd.managed.storage.restoreSnapshotURL = [url] on the HostedCluster and on a
 *    HostedControlPlane if present (both CRDs carry the field; etcd-init reads item 0 only);
 *  - the original encryption key (or, for KMS, a check that the key reference matches);
 *  - spec.pausedUntil and status removed from HostedCluster, HostedControlPlane, NodePools;
 *  - infraID, API server hostname and etcd storage pinned to the backup's values;
 *  - v1 Secrets only with includeSecrets (otherwise listed in `requiredSecrets`).
 */
import { PreconditionError, UsageError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import { describeObject, headlessDocument, parseManifests } from '../objects/documents.ts';
import type { KeySource } from './encryption.ts';
import { planEncryption, type EncryptionPlan } from './encryption-plan.ts';
import type { RestoreFacts } from './facts.ts';
import { pinFromBackup } from './pin.ts';
import { checkSnapshotUrl } from '../controlplane/snapshot-url.ts';

export interface RenderOptions {
  snapshotUrl: string;
  /** Required for AES-CBC clusters; must be absent for KMS clusters. */
  key?: KeySource;
  facts?: RestoreFacts;
  includeSecrets?: boolean;
  /** Replace a restoreSnapshotURL the input already has. */
  force?: boolean;
}

export interface RequiredSecret {
  namespace: string | undefined;
  name: string;
  why: string;
}

export interface RenderResult {
  objects: KubeObject[];
  /** Differences from the backup, replaced values: for stderr. */
  warnings: string[];
  /** Secrets the output references but does not contain: they must exist before the apply. */
  requiredSecrets: RequiredSecret[];
}

type Obj = Record<string, unknown>;
const HYPERSHIFT = /^hypershift\.openshift\.io\//;

function isKind(o: KubeObject, kind: string): boolean {
  return o.kind === kind && HYPERSHIFT.test(o.apiVersion ?? '');
}
function isSecret(o: KubeObject): boolean {
  return o.kind === 'Secret' && o.apiVersion === 'v1';
}
function objAt(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Obj;
  const created: Obj = {};
  parent[key] = created;
  return created;
}
function specOf(o: KubeObject): Obj {
  return objAt(o, 'spec');
}

export function renderRestore(text: string, source: string, options: RenderOptions): RenderResult {
  checkSnapshotUrl(options.snapshotUrl);
  const objects = parseManifests(text, source);
  const clusters = objects.filter((o) => isKind(o, 'HostedCluster'));
  if (clusters.length === 0) {
    throw new UsageError(`failed to render ${source}: it contains no HostedCluster (${objects.length} objects read)`, {
      hint: 'pass the output of "hypershift create cluster <platform> --render"',
    });
  }
  if (clusters.length > 1) {
    throw new UsageError(
      `failed to render ${source}: it contains ${clusters.length} HostedClusters (${clusters.map((c) => c.metadata.name).join(', ')}); render one cluster at a time`,
      { hint: 'split the input: one "hypershift create cluster --render" output per cluster' },
    );
  }
  const hc = clusters[0] as KubeObject;
  const planes = objects.filter((o) => isKind(o, 'HostedControlPlane'));
  if (planes.length > 1)
    throw new UsageError(`failed to render ${source}: it contains ${planes.length} HostedControlPlanes; expected at most one`, {
      hint: 'render one cluster at a time',
    });
  const targets = [hc, ...planes];
  const warnings: string[] = objects
    .filter((o) => headlessDocument(o) !== undefined)
    .map((o) => `${describeObject(o)}: kept in place unchanged`);

  for (const target of targets) checkEtcd(target, options, warnings);
  const encryption = planEncryption(hc, options, warnings);
  for (const target of targets) {
    const what = describeObject(target);
    const spec = specOf(target);
    if (options.facts) warnings.push(...pinFromBackup(spec, options.facts, what));
    const storage = objAt(objAt(objAt(spec, 'etcd'), 'managed'), 'storage');
    if (storage['type'] === undefined) storage['type'] = 'PersistentVolume';
    storage['restoreSnapshotURL'] = [options.snapshotUrl];
    if (encryption.secretName !== undefined) {
      const se = objAt(spec, 'secretEncryption');
      se['type'] = 'aescbc';
      objAt(objAt(se, 'aescbc'), 'activeKey')['name'] = encryption.secretName;
    }
  }
  if (options.facts) warnings.push(...identityWarnings(hc, options.facts));
  for (const o of objects) {
    if (isKind(o, 'HostedCluster') || isKind(o, 'HostedControlPlane') || isKind(o, 'NodePool')) {
      delete specOf(o)['pausedUntil'];
      delete o['status'];
    }
  }
  return placeSecrets(objects, hc, encryption, options, warnings);
}

/** Managed etcd only; an existing restoreSnapshotURL is immutable and needs --force. */
function checkEtcd(target: KubeObject, options: RenderOptions, warnings: string[]): void {
  const what = describeObject(target);
  const etcd = specOf(target)['etcd'] as Obj | undefined;
  if (!etcd || typeof etcd !== 'object')
    throw new UsageError(`failed to render ${what}: spec.etcd is missing (the CRD requires it)`, {
      hint: 'pass the output of "hypershift create cluster <platform> --render"',
    });
  if (etcd['managementType'] === 'Unmanaged') {
    throw new PreconditionError(`failed to render ${what}: etcd is Unmanaged; restoreSnapshotURL applies only to managed etcd`, {
      hint: 'restore an unmanaged etcd with the tools of whoever runs it',
    });
  }
  const existing = ((etcd['managed'] as Obj | undefined)?.['storage'] as Obj | undefined)?.['restoreSnapshotURL'];
  if (Array.isArray(existing) ? existing.length > 0 : existing !== undefined) {
    if (!options.force) {
      throw new PreconditionError(
        `failed to render ${what}: spec.etcd.managed.storage.restoreSnapshotURL is already set and is immutable once created`,
        {
          hint: 'pass --force to replace it in the rendered output',
        },
      );
    }
    warnings.push(`${what}: replacing the existing spec.etcd.managed.storage.restoreSnapshotURL (--force)`);
  }
}

function identityWarnings(hc: KubeObject, facts: RestoreFacts): string[] {
  const out: string[] = [];
  const what = describeObject(hc);
  if (facts.name !== undefined && (facts.name !== hc.metadata.name || (facts.namespace ?? '') !== (hc.metadata.namespace ?? ''))) {
    out.push(`${what}: the ${facts.origin} is of ${facts.namespace}/${facts.name}`);
  }
  const image = (specOf(hc)['release'] as Obj | undefined)?.['image'];
  if (facts.releaseImage !== undefined && image !== facts.releaseImage) {
    out.push(
      `${what}: spec.release.image ${JSON.stringify(image)} differs from the backed-up cluster's ${facts.releaseImage}; restoring etcd into another release is at your own risk`,
    );
  }
  const platform = (specOf(hc)['platform'] as Obj | undefined)?.['type'];
  if (facts.platform !== undefined && platform !== facts.platform) {
    out.push(`${what}: spec.platform.type ${JSON.stringify(platform)} differs from the backed-up cluster's ${facts.platform}`);
  }
  return out;
}

/**
 * The key Secret replaces a generated one in place, or goes right before the HostedCluster.
 * Without includeSecrets no Secret is written and each one referenced is reported.
 */
function placeSecrets(
  objects: KubeObject[],
  hc: KubeObject,
  plan: EncryptionPlan,
  options: RenderOptions,
  warnings: string[],
): RenderResult {
  const ns = hc.metadata.namespace;
  const required: RequiredSecret[] = [];
  const out: KubeObject[] = [];
  let keyPlaced = false;
  const inHcNamespace = (o: KubeObject) => (o.metadata.namespace ?? '') === (ns ?? '');
  for (const o of objects) {
    const generatedKey = isSecret(o) && inHcNamespace(o) && plan.generated.has(o.metadata.name ?? '');
    if ((generatedKey || o === hc) && plan.secret && !keyPlaced) {
      keyPlaced = true;
      if (options.includeSecrets) out.push(plan.secret);
    }
    if (generatedKey) continue;
    if (isSecret(o) && !options.includeSecrets) {
      required.push({
        namespace: o.metadata.namespace,
        name: o.metadata.name ?? '',
        why: 'in the input; written only with --include-secrets',
      });
      continue;
    }
    out.push(o);
  }
  if (plan.secretName !== undefined && !(plan.secret && options.includeSecrets)) {
    required.unshift({
      namespace: ns,
      name: plan.secretName,
      why: plan.secret
        ? 'the ORIGINAL etcd encryption key; written only with --include-secrets'
        : 'must hold the ORIGINAL etcd encryption key (data.key)',
    });
  }
  const spec = specOf(hc);
  for (const [field, ref] of [
    ['spec.pullSecret', spec['pullSecret']],
    ['spec.sshKey', spec['sshKey']],
  ] as const) {
    const name = (ref as Obj | undefined)?.['name'];
    if (typeof name !== 'string' || name === '') continue;
    const written = out.some((o) => isSecret(o) && o.metadata.name === name && inHcNamespace(o));
    if (!written && !required.some((r) => r.name === name)) required.push({ namespace: ns, name, why: `referenced by ${field}` });
  }
  return { objects: out, warnings, requiredSecrets: required };
}
