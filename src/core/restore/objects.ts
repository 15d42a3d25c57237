/**
 * The objects a restore creates, in the order it creates them (pure). The order is what makes
 * the restored data readable: the HostedCluster's Secrets/ConfigMaps (pull secret, the ORIGINAL
 * encryption key, ...) and the control plane's Secrets (every CA, sa-signing-key, ...:
 * bundle/control-plane-secrets.ts) must exist before the HostedCluster, or the operator generates
 * fresh ones: the restored Secrets and service-account tokens are unreadable and the nodes, the
 * konnectivity agents and saved admin kubeconfigs are locked out. The HostedControlPlane is the operator's:
 * pre-creating it without the URL would make the HyperShift CRD refuse the operator's update
 * (hypershift-domain.md §2.8).
 */
import { UsageError } from '../errors.ts';
import { controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import { cleanObject } from '../objects/clean.ts';
import { kindRank, knownKindOf } from '../objects/kinds.ts';
import { IDENTITY_SECRETS } from '../bundle/control-plane-secrets.ts';
import { RestoreAnnotations, type DesiredObject, type RestoreBundle } from '../contracts/restore.ts';

export interface ObjectTarget {
  namespace: string;
  name: string;
  /** The one pre-signed URL etcd-init downloads. */
  snapshotUrl: string;
  /** Annotations written on the HostedCluster at creation (the operation record). */
  recordAnnotations: Record<string, string>;
}

const clean = (obj: KubeObject): KubeObject => cleanObject(obj, { exported: new Set(), keepRestoreUrl: false }).object;

function stamp(obj: KubeObject, namespace: string | undefined, from: string, extra: Record<string, string> = {}): KubeObject {
  const out = clean(obj);
  out.metadata = {
    ...out.metadata,
    ...(namespace === undefined ? {} : { namespace }),
    annotations: { ...out.metadata.annotations, [RestoreAnnotations.restoredFrom]: from, ...extra },
  };
  delete out.metadata['ownerReferences'];
  return out;
}

export function desiredObjects(bundle: RestoreBundle, target: ObjectTarget): DesiredObject[] {
  const source = bundle.manifest.hostedCluster;
  const cpSource = source.controlPlaneNamespace || controlPlaneNamespace(source.namespace, source.name);
  const cp = controlPlaneNamespace(target.namespace, target.name);
  const from = bundle.url;
  const out: DesiredObject[] = [];
  const ns = (name: string): DesiredObject => ({
    step: 'namespaces',
    type: Resources.namespace,
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations: { [RestoreAnnotations.restoredFrom]: from } } },
    origin: name === cp ? 'control-plane namespace' : 'HostedCluster namespace',
  });
  out.push(ns(target.namespace), ns(cp));

  for (const { role, object } of bundle.objects) {
    const inControlPlane = object.metadata.namespace === cpSource;
    const type = object.kind === 'ConfigMap' ? Resources.configMap : Resources.secret;
    out.push({
      step: inControlPlane ? 'control-plane' : 'cluster-data',
      type,
      object: stamp(object, inControlPlane ? cp : target.namespace, from),
      origin: `${object.kind ?? 'Secret'} from the backup (${role})`,
      ...(inControlPlane && role === 'pki' && !IDENTITY_SECRETS.includes(object.metadata.name ?? '') ? { keepExisting: true } : {}),
    });
  }

  // A move's CAPI and platform objects (--with-nodes), before the HostedCluster as §2.8 applies them,
  // in dependency order, so the existing machines are adopted rather than replaced. Once applied their
  // controllers write them (the Cluster's spec.paused follows the HostedCluster, statuses change), so
  // one found on a re-run is kept: it was applied by this restore or made by the operator from it.
  for (const object of [...(bundle.controlPlane ?? [])].sort((a, b) => kindRank(a) - kindRank(b))) {
    const type = knownKindOf(object);
    if (!type) continue;
    out.push({
      step: 'control-plane',
      type,
      object: stamp(object, cp, from),
      origin: `${object.kind} from the backup (--with-nodes)`,
      keepExisting: true,
    });
  }

  const hc = stamp(bundle.hostedCluster, target.namespace, from, {
    [RestoreAnnotations.restoredFromBackup]: 'true',
    ...target.recordAnnotations,
  });
  hc.metadata.name = target.name;
  const spec = (hc['spec'] ?? {}) as Record<string, unknown>;
  delete spec['pausedUntil'];
  const etcd = spec['etcd'] as { managementType?: string; managed?: { storage?: Record<string, unknown> } } | undefined;
  if (etcd?.managementType !== 'Managed' || !etcd.managed?.storage) {
    throw new UsageError(
      `cannot restore ${source.namespace}/${source.name}: its etcd is not managed by HyperShift (spec.etcd.managementType: ${etcd?.managementType ?? 'unset'})`,
      {
        hint: 'restoreSnapshotURL exists only for managed etcd; restore an unmanaged etcd with its own tools',
      },
    );
  }
  etcd.managed.storage['restoreSnapshotURL'] = [target.snapshotUrl];
  out.push({
    step: 'hosted-cluster',
    type: Resources.hostedCluster,
    object: hc,
    origin: 'HostedCluster from the backup, with restoreSnapshotURL',
  });

  for (const np of bundle.nodePools) {
    const pool = stamp(np, target.namespace, from);
    const npSpec = (pool['spec'] ?? {}) as Record<string, unknown>;
    delete npSpec['pausedUntil'];
    npSpec['clusterName'] = target.name;
    out.push({ step: 'node-pools', type: Resources.nodePool, object: pool, origin: 'NodePool from the backup' });
  }
  return out;
}

/**
 * Whether a live object already holds what we would create: every field we would write is
 * there with the same value (the server may add defaults). The restored-from annotation and
 * the HostedCluster's record are ours and not compared.
 */
export function holdsDesired(live: KubeObject, desired: KubeObject): boolean {
  const { metadata, ...body } = desired;
  const wantAnnotations = { ...(metadata.annotations ?? {}) };
  delete wantAnnotations[RestoreAnnotations.restoredFrom];
  const want = { ...body, metadata: { labels: metadata.labels, annotations: wantAnnotations } };
  return subset(want, live);
}

function subset(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== 'object') return want === have;
  if (Array.isArray(want)) {
    return Array.isArray(have) && want.length === have.length && want.every((w, i) => subset(w, have[i]));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return Object.keys(want).length === 0 && have === undefined;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => subset(v, (have as Record<string, unknown>)[k]));
}

/** "Secret clusters/demo-pull-secret" for messages. */
export function describe(d: { type: { kind: string }; object: KubeObject }): string {
  const { namespace, name } = d.object.metadata;
  return `${d.type.kind} ${namespace ? `${namespace}/` : ''}${name ?? ''}`;
}
