/**
 * The restore's checks (phases.ts), all before its first change: the backup read and verified
 * (and the record and objects built from it), the preflight of the target, the trust of the
 * snapshot's transport, and --replace's confirmation. They read only; a dry run stops after them.
 */
import { randomUUID } from 'node:crypto';
import { InternalError } from '../errors.ts';
import { controlPlaneNamespace } from '../model.ts';
import { BackupFiles } from '../bundle/layout.ts';
import { readBundle } from './bundle.ts';
import { isEncrypted } from '../bundle/encoded.ts';
import { needsStaging, stagingKey, urlExpiry } from '../bundle/staging.ts';
import { desiredObjects } from './objects.ts';
import type { RestoreState } from './phases.ts';
import { preflight } from './preflight.ts';
import { checkRestoreTrust } from './preflight-trust.ts';
import { recordAnnotations } from './record.ts';
import type { PreflightCheck, RestoreBundle } from '../contracts/restore.ts';
import type { ObjectStore } from '../ports.ts';

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new InternalError(`restore state has no ${what}`);
  return value;
};

/** Reads and verifies the backup; builds the record and the objects to create from it. */
export async function readBackup(s: RestoreState): Promise<void> {
  const req = need(s.req, 'request');
  const { deps } = s;
  deps.reporter.info(`verifying backup ${req.store.url(req.prefix ? `${req.prefix}/` : '')}`);
  const { bundle } = await readBundle(
    { store: req.store, prefix: req.prefix, openBucket: (bucket) => req.openBucket(bucket), keyring: req.keyring },
    {
      reporter: deps.reporter,
      ...(deps.signal ? { signal: deps.signal } : {}),
      ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
      ...(req.verifySnapshot ? { verifySnapshot: true } : {}),
      ...(req.withNodes ? { controlPlaneObjects: true } : {}),
    },
  );
  const m = bundle.manifest;
  s.bundle = bundle;
  s.namespace = req.namespace ?? m.hostedCluster.namespace;
  s.name = m.hostedCluster.name;
  s.cp = controlPlaneNamespace(s.namespace, s.name);
  const file = m.snapshot.file || BackupFiles.snapshot;
  // A compressed/encrypted snapshot: etcd-init gets a decoded copy, staged by the first change
  // (bundle/staging.ts); its key is pre-signed now (no object needed), so the preflight checks the URL.
  const staged = needsStaging(m) ? stagingKey(req.prefix, s.namespace, s.name) : undefined;
  // The staged copy carries the URL's expiry (taken before signing: never later than the URL's own).
  const expiresAt = urlExpiry(deps.clock.now(), req.expiresInSeconds);
  const snapshotUrl = await req.store.presignGet(staged ?? (req.prefix ? `${req.prefix}/${file}` : file), req.expiresInSeconds);
  if (staged) s.staged = { key: staged, expiresAt, open: () => Promise.resolve(req.store) };
  const startedAt = s.startedAt.toISOString();
  s.record = {
    snapshot: {
      file,
      sha256: m.snapshot.sha256,
      size: m.snapshot.size,
      ...(staged ? { staged } : {}),
      ...(req.via && Object.keys(req.via).length ? { via: req.via } : {}),
    },
    id: randomUUID().slice(0, 8),
    type: 'restore',
    startedAt,
    phase: 'started',
    ...(req.toolVersion ? { toolVersion: req.toolVersion } : {}),
    backup: bundle.url,
    backupId: m.id,
    firstChangeAt: startedAt,
    backupCreatedAt: m.createdAt,
    revision: m.snapshot.revision,
    totalKeys: m.snapshot.totalKeys,
    ...(liveKeysOf(m) !== undefined ? { liveKeys: liveKeysOf(m) } : {}),
  };
  // The HostedCluster's record is completed when it is created (phases.ts); this one is compared by nobody.
  s.desired = desiredObjects(bundle, {
    namespace: s.namespace,
    name: s.name,
    snapshotUrl,
    recordAnnotations: { ...recordAnnotations({ ...s.record, phase: 'hosted-cluster' }), ...req.hostedClusterAnnotations },
  }).filter((d) => req.nodePools !== false || d.step !== 'node-pools');
  s.snapshotUrl = snapshotUrl;
}

export async function preflightCheck(s: RestoreState): Promise<void> {
  const req = need(s.req, 'request');
  const result = await preflight(
    {
      api: s.deps.api,
      bundle: need(s.bundle, 'backup'),
      namespace: s.namespace,
      name: s.name,
      replace: req.replace,
      snapshotUrl: need(s.snapshotUrl, 'snapshot URL'),
      ...(req.cleanupCloudResources ? { cleanupCloudResources: true } : {}),
      ...(s.deps.sourceProbe ? { sourceProbe: s.deps.sourceProbe } : {}),
      ...(req.force ? { force: true } : {}),
    },
    s.desired,
  );
  s.pre = result.preflight;
  s.planned = result.planned;
  if (s.staged) s.pre.checks.push(stagingCheck(s, req.store));
}

export async function trustCheck(s: RestoreState): Promise<void> {
  const req = need(s.req, 'request');
  const pre = need(s.pre, 'preflight');
  await checkRestoreTrust(
    {
      api: s.deps.api,
      exec: s.deps.exec,
      store: req.store,
      prefix: req.prefix,
      expiresInSeconds: req.expiresInSeconds,
      namespace: s.namespace,
      name: s.name,
      cp: s.cp,
      ...(req.via?.caBundle ? { caBundle: req.via.caBundle } : {}),
      ...(s.deps.signal ? { signal: s.deps.signal } : {}),
    },
    pre,
  );
  for (const w of pre.warnings) s.deps.reporter.warn(w);
  s.deps.reporter.debug('step: preflight');
}

/** --replace deletes before it restores: asked once everything else passed (never on a dry run). */
export async function confirmReplace(s: RestoreState): Promise<void> {
  const pre = need(s.pre, 'preflight');
  if (s.req?.dryRun || (pre.toDelete.length === 0 && pre.leftoverPvcs.length === 0)) return;
  const what = [...pre.toDelete.map((o) => `${o.kind} ${o.namespace}/${o.name}`), ...pre.leftoverPvcs.map((p) => `PVC ${s.cp}/${p}`)];
  await need(
    s.deps.confirmReplace,
    'confirmation',
  )(
    `Replace: this deletes ${what.join(', ')} and waits until the control plane ${s.cp} and its etcd volumes are gone (the hosted cluster is down until the restore completes). Continue?`,
  );
  s.deps.reporter.info(`replacing: deleting ${what.join(', ')}`);
  s.deps.reporter.debug('step: confirmed');
}

/** The row that names the staging (a dry run shows it): which key, and that it goes after verification. */
function stagingCheck(s: RestoreState, store: ObjectStore): PreflightCheck {
  const m = need(s.bundle, 'backup').manifest;
  const form = [m.storage?.compression ? `${m.storage.compression}-compressed` : '', isEncrypted(m) ? 'age-encrypted' : '']
    .filter(Boolean)
    .join(' and ');
  const staged = need(s.staged, 'staging');
  const left = staged.expiresAt ? ` (left by an abandoned run, "backup prune" deletes it after ${staged.expiresAt.toISOString()})` : '';
  return {
    name: 'staging',
    ok: true,
    detail: `the snapshot is stored ${form}: a decoded (plaintext) copy is staged at ${store.url(staged.key)} for etcd-init, pre-signed, and deleted once the restored data is verified${left}`,
  };
}

/** Live keys at the snapshot's revision, when the backup recorded them (snapshot.liveKeys). */
function liveKeysOf(m: RestoreBundle['manifest']): number | undefined {
  const n = (m.snapshot as { liveKeys?: unknown }).liveKeys;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}
