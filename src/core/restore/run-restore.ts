/**
 * `restore <backup-url>`: preflight (reads only) → [--replace: delete and wait] → apply in
 * order → wait for EtcdSnapshotRestored → verify by data. The restore is recorded on the
 * HostedCluster it creates (record.ts); a run killed at any point is finished by running it
 * again or by `resume` (resumeRestore), from the cluster alone.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors.ts';
import { controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import type { OpenedStore, S3Target } from '../ports.ts';
import { BackupFiles } from '../bundle/layout.ts';
import { applyObjects } from './apply.ts';
import { readBundle } from './bundle.ts';
import { desiredObjects } from './objects.ts';
import { preflight, type Preflight } from './preflight.ts';
import { checkRestoreTrust } from './preflight-trust.ts';
import { advanceRecord, readRestoreRecord, recordAnnotations, type RestoreRecord } from './record.ts';
import { recordedSource, type RecordedSnapshot, type RepairSource } from './repair.ts';
import { finish } from './finish.ts';
import { withNodeCount } from './nodes.ts';
import { replaceExisting } from './replace.ts';
import { restoreResult } from './result.ts';
import type { RestoreBundle, RestoreDeps, RestoreRequest, RestoreResult } from '../contracts/restore.ts';

export async function runRestore(req: RestoreRequest, deps: RestoreDeps): Promise<RestoreResult> {
  const startedAt = deps.clock.now();
  deps.reporter.info(`verifying backup ${req.store.url(req.prefix ? `${req.prefix}/` : '')}`);
  const { bundle } = await readBundle(
    { store: req.store, prefix: req.prefix, openBucket: (bucket) => req.openBucket(bucket) },
    {
      reporter: deps.reporter,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
      ...(req.verifySnapshot ? { verifySnapshot: true } : {}),
      ...(req.withNodes ? { controlPlaneObjects: true } : {}),
    },
  );
  const m = bundle.manifest;
  const namespace = req.namespace ?? m.hostedCluster.namespace;
  const name = m.hostedCluster.name;
  const cp = controlPlaneNamespace(namespace, name);
  const snapshotKey = req.prefix ? `${req.prefix}/${m.snapshot.file || BackupFiles.snapshot}` : m.snapshot.file || BackupFiles.snapshot;
  const snapshotUrl = await req.store.presignGet(snapshotKey, req.expiresInSeconds);

  const record: RecordedSnapshot = {
    snapshot: {
      file: m.snapshot.file || BackupFiles.snapshot,
      sha256: m.snapshot.sha256,
      size: m.snapshot.size,
      ...(req.via && Object.keys(req.via).length ? { via: req.via } : {}),
    },
    id: randomUUID().slice(0, 8),
    type: 'restore',
    startedAt: startedAt.toISOString(),
    phase: 'hosted-cluster',
    ...(req.toolVersion ? { toolVersion: req.toolVersion } : {}),
    backup: bundle.url,
    backupId: m.id,
    firstChangeAt: startedAt.toISOString(),
    backupCreatedAt: m.createdAt,
    revision: m.snapshot.revision,
    totalKeys: m.snapshot.totalKeys,
    ...(liveKeysOf(m) !== undefined ? { liveKeys: liveKeysOf(m) } : {}),
  };
  const desired = desiredObjects(bundle, {
    namespace,
    name,
    snapshotUrl,
    recordAnnotations: { ...recordAnnotations(record), ...req.hostedClusterAnnotations },
  }).filter((d) => req.nodePools !== false || d.step !== 'node-pools');
  const { preflight: pre, planned } = await preflight(
    {
      api: deps.api,
      bundle,
      namespace,
      name,
      replace: req.replace,
      snapshotUrl,
      ...(req.cleanupCloudResources ? { cleanupCloudResources: true } : {}),
      ...(deps.sourceProbe ? { sourceProbe: deps.sourceProbe } : {}),
      ...(req.force ? { force: true } : {}),
    },
    desired,
  );
  await checkRestoreTrust(
    {
      api: deps.api,
      exec: deps.exec,
      store: req.store,
      prefix: req.prefix,
      expiresInSeconds: req.expiresInSeconds,
      namespace,
      name,
      cp,
      ...(req.via?.caBundle ? { caBundle: req.via.caBundle } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
    pre,
  );
  for (const w of pre.warnings) deps.reporter.warn(w);
  deps.reporter.debug('step: preflight');
  const base = { bundle, namespace, name, cp, pre, startedAt };
  if (req.dryRun) return restoreResult(base, deps.api, deps.clock, planned, null, null);

  if (pre.toDelete.length > 0 || pre.leftoverPvcs.length > 0) {
    const what = [...pre.toDelete.map((o) => `${o.kind} ${o.namespace}/${o.name}`), ...pre.leftoverPvcs.map((p) => `PVC ${cp}/${p}`)];
    await deps.confirmReplace(
      `Replace: this deletes ${what.join(', ')} and waits until the control plane ${cp} and its etcd volumes are gone (the hosted cluster is down until the restore completes). Continue?`,
    );
    deps.reporter.info(`replacing: deleting ${what.join(', ')}`);
    deps.reporter.debug('step: confirmed');
    await replaceExisting(
      {
        api: deps.api,
        clock: deps.clock,
        reporter: deps.reporter,
        namespace,
        name,
        timeoutMs: req.waitTimeoutMs,
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(req.cleanupCloudResources ? { cleanupCloudResources: true } : {}),
      },
      pre,
    );
  }

  let live = record;
  if (pre.resumeRecord) {
    live = pre.resumeRecord;
    deps.reporter.info(`HostedCluster ${namespace}/${name} was created from this backup by run ${live.id} (${live.phase}): finishing it`);
  }
  const hcDesired = desired.find((d) => d.step === 'hosted-cluster');
  const applied = await applyObjects(
    {
      api: deps.api,
      reporter: deps.reporter,
      skipHostedCluster: pre.resumeRecord !== undefined || pre.alreadyRestored,
      beforeCreate: (d, createdSoFar) => {
        if (pre.resumeRecord) return;
        if (createdSoFar.length === 0) live = { ...live, firstChangeAt: deps.clock.now().toISOString() };
        if (d === hcDesired) {
          live = { ...live, created: [...createdSoFar] };
          hcDesired.object.metadata.annotations = { ...hcDesired.object.metadata.annotations, ...recordAnnotations(live) };
        }
      },
    },
    desired,
  );
  if (pre.alreadyRestored) {
    const hc = await deps.api.get(Resources.hostedCluster, namespace, name);
    live = { ...record, firstChangeAt: hc?.metadata.creationTimestamp ?? record.firstChangeAt, phase: 'verified' };
  } else if (live.phase === 'hosted-cluster' || live.phase === 'node-pools') {
    live = await advanceRecord(deps.api, namespace, name, live, 'waiting');
  }
  const source: RepairSource = { store: req.store, key: snapshotKey, sha256: m.snapshot.sha256, size: m.snapshot.size };
  const result = await finish({ ...base, planned: applied }, live, deps, req.waitTimeoutMs, req.rerun, {
    allowed: req.repair !== false,
    source: () => Promise.resolve(source),
  });
  return withNodeCount(result, { ...deps, timeoutMs: req.waitTimeoutMs });
}

/** `resume` of a restore: finish waiting and verifying from the record on the HostedCluster. */
export async function resumeRestore(
  hc: KubeObject,
  deps: Omit<RestoreDeps, 'confirmReplace' | 'onBytes'>,
  waitTimeoutMs: number,
  /** Opens the recorded backup's store (resume's S3 flags and credential chain), so a split brain can be repaired. */
  openStore?: (target: S3Target) => Promise<OpenedStore>,
): Promise<RestoreResult> {
  const record = readRestoreRecord(hc);
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  if (!record)
    throw new NotFoundError(`failed to resume: HostedCluster ${namespace}/${name} carries no restore record`, {
      hint: 'nothing to finish',
    });
  const bundle = bundleFromRecord(hc, record);
  const pre: Preflight = {
    checks: [],
    warnings: [],
    resumeRecord: record,
    alreadyRestored: false,
    toDelete: [],
    leftoverPvcs: [],
    sameManagementCluster: undefined,
  };
  const base = { bundle, namespace, name, cp: controlPlaneNamespace(namespace, name), pre, startedAt: deps.clock.now() };
  return finish(
    { ...base, planned: [] },
    record,
    deps,
    waitTimeoutMs,
    `{cmd} restore ${record.backup}${namespace !== bundle.manifest.hostedCluster.namespace ? ` -n ${namespace}` : ''}`,
    { allowed: true, ...(openStore ? { source: () => recordedSource(record, openStore) } : {}) },
  );
}

/** For `resume`: the backup facts the record carries (no store access needed). */
function bundleFromRecord(hc: KubeObject, record: RestoreRecord): RestoreBundle {
  const spec = (hc['spec'] ?? {}) as { platform?: { type?: string } };
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  const manifest = {
    id: record.backupId,
    createdAt: record.backupCreatedAt,
    hostedCluster: { namespace, name, platform: spec.platform?.type ?? '', controlPlaneNamespace: controlPlaneNamespace(namespace, name) },
    snapshot: { revision: record.revision, totalKeys: record.totalKeys, sha256: '', size: 0, file: '' },
  } as unknown as RestoreBundle['manifest'];
  return { url: record.backup, manifest, hostedCluster: hc, nodePools: [], objects: [] };
}

/** Live keys at the snapshot's revision, when the backup recorded them (snapshot.liveKeys). */
function liveKeysOf(m: RestoreBundle['manifest']): number | undefined {
  const n = (m.snapshot as { liveKeys?: unknown }).liveKeys;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}
