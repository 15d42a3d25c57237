/**
 * Backups under S3 Object Lock end to end on the sandbox (its test S3 server plays Object Lock as
 * AWS does: test/sandbox/s3/object-lock.ts): `backup --lock-days` stores every object with a
 * retention, backup.json included; list and verify show it; prune keeps a locked backup and
 * reports it (exit 0), deletes it by version only with --bypass-governance; a bucket without
 * Object Lock is refused before any change.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateBucketCommand, GetObjectRetentionCommand, ListObjectVersionsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { visibleState } from '../sandbox/cluster-state.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, sandboxS3Flags, sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';

const LOCKED = 'locked-backups';
let sb: Sandbox;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;

const lockedBackup = (...extra: string[]) =>
  demoBackupArgs(sb, ['--online', '-o', 'json', ...extra]).map((a) => (a === `s3://${sb.s3.bucket}/hcp` ? `s3://${LOCKED}/hcp` : a));

async function keysUnder(prefix: string): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: LOCKED, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '');
}

beforeAll(async () => {
  sb = await startSandbox();
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  await s3.send(new CreateBucketCommand({ Bucket: LOCKED, ObjectLockEnabledForBucket: true }));
});
afterAll(async () => {
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
});

describe('backup --lock-days (S3 Object Lock)', () => {
  const manifests: BackupManifest[] = [];

  it('answers bad lock flags with one line, exit 2 and a hint, before connecting', async () => {
    for (const [extra, message] of [
      [['--lock-mode', 'compliance'], /--lock-mode needs --lock-days/],
      [['--lock-days', '0'], /invalid --lock-days 0/],
      [['--lock-days', '1.5'], /invalid --lock-days 1.5/],
      [['--lock-days', '3', '--lock-mode', 'strict'], /lock-mode/],
    ] as const) {
      const run = await runCliInProcess(demoBackupArgs(sb, ['--online', ...extra]));
      expect([run.code, run.stdout]).toEqual([2, '']);
      expect(run.stderr).toMatch(message);
    }
  });

  it('refuses a bucket without Object Lock in preflight, before any change (exit 3, one line, a hint)', async () => {
    const before = visibleState(sb);
    const run = await runCliInProcess(demoBackupArgs(sb, ['--yes', '--lock-days', '7']));
    expect(run.code).toBe(3);
    const errors = run.stderr.split('\n').filter((l) => /^error:/.test(l));
    expect(errors).toEqual([expect.stringMatching(/does not have S3 Object Lock enabled/)]);
    expect(run.stderr).toMatch(/hint: .*Object Lock/);
    expect(visibleState(sb)).toEqual(before);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: 'hcp/' }));
    expect(out.Contents ?? []).toEqual([]);
  });

  it('stores every object of the backup with the retention, backup.json included, and records it', async () => {
    for (let i = 0; i < 2; i++) {
      const run = await runCliInProcess(lockedBackup('--lock-days', '3'));
      expect(run.stderr).not.toMatch(/^error:/m);
      expect(run.code).toBe(0);
      manifests.push(JSON.parse(run.stdout) as BackupManifest);
    }
    const m = manifests[0] as BackupManifest;
    expect(m.lock?.mode).toBe('governance');
    const until = Date.parse(m.lock?.retainUntil ?? '');
    expect(until - Date.parse(m.createdAt)).toBeGreaterThan(2.9 * 86_400_000);
    const keys = await keysUnder(`hcp/clusters/demo/${m.id}/`);
    expect(keys).toEqual(expect.arrayContaining([expect.stringMatching(/snapshot\.db$/), expect.stringMatching(/backup\.json$/)]));
    for (const Key of keys) {
      const r = await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key }));
      expect([Key, r.Retention?.Mode, r.Retention?.RetainUntilDate?.getTime()]).toEqual([Key, 'GOVERNANCE', until]);
    }
  });

  it('list and verify show the lock', async () => {
    const list = await runCliInProcess(['backup', 'list', '--from', `s3://${LOCKED}/hcp`, ...sandboxS3Flags(sb)]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/LOCK/);
    expect(list.stdout).toMatch(/governance until \d{4}-/);
    const m = manifests[0] as BackupManifest;
    const verify = await runCliInProcess(['backup', 'verify', `s3://${LOCKED}/hcp/clusters/demo/${m.id}/`, ...sandboxS3Flags(sb)]);
    expect(verify.stderr).not.toMatch(/^error:/m);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^LOCK +governance until .* \(S3 Object Lock\)$/m);
    expect(verify.stdout).toMatch(/object-lock +ok +governance until/);
  });

  it('prune keeps a locked backup and reports it (exit 0); --bypass-governance deletes every version of it', async () => {
    const older = manifests[0] as BackupManifest;
    const prefix = `hcp/clusters/demo/${older.id}/`;
    const prune = ['backup', 'prune', '--from', `s3://${LOCKED}/hcp`, '--keep-last', '1', ...sandboxS3Flags(sb)];
    const kept = await runCliInProcess(prune);
    expect(kept.stderr).not.toMatch(/^error:/m);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toMatch(new RegExp(`keep .*${older.id}.*retained until ${older.lock?.retainUntil} \\(Object Lock, governance\\)`));
    expect(await keysUnder(prefix)).not.toEqual([]);
    const untouched = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: prefix }));
    expect(untouched.DeleteMarkers ?? []).toEqual([]);

    const bypassed = await runCliInProcess([...prune, '--bypass-governance']);
    expect(bypassed.code).toBe(0);
    expect(bypassed.stderr).toMatch(/--bypass-governance/);
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: prefix }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
    expect(await keysUnder(`hcp/clusters/demo/${(manifests[1] as BackupManifest).id}/`)).not.toEqual([]);
  });

  /** A backup into LOCKED whose HostedCluster manifest PUT fails: after the snapshot and Secrets were stored. */
  async function failedMidway(...extra: string[]): Promise<{ run: Awaited<ReturnType<typeof runCliInProcess>>; prefix: string }> {
    sb.s3.server.setFault({ op: 'PutObject', mode: 'error500', keySuffix: 'manifests/hostedcluster.yaml', times: Infinity });
    try {
      const run = await runCliInProcess(lockedBackup(...extra));
      expect(sb.s3.server.faultsTriggered).toBeGreaterThan(0);
      // The preflight line names where the backup goes: "backing up ... to s3://<bucket>/<prefix>/ (online)".
      const prefix = new RegExp(`to s3://${LOCKED}/(hcp/clusters/demo/[^/ ]+/) \\(online\\)`).exec(run.stderr)?.[1];
      expect(prefix).toBeDefined();
      return { run, prefix: prefix ?? '' };
    } finally {
      sb.s3.server.setFault(undefined);
    }
  }

  it('a locked backup failing after its first locked uploads is rolled back without delete markers; the kept versions are reported with their date', async () => {
    const { run, prefix } = await failedMidway('--lock-days', '2');
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/rollback failed|could not delete/);
    const kept = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: prefix }));
    expect(kept.DeleteMarkers ?? []).toEqual([]);
    const versions = (kept.Versions ?? []).map((v) => v.Key ?? '');
    expect(versions).toEqual(expect.arrayContaining([`${prefix}snapshot.db`]));
    expect(versions.some((k) => k.endsWith('backup.json') || k.endsWith('hostedcluster.yaml'))).toBe(false);
    // Still listed (no marker hides them): an incomplete prefix, which prune deletes after the date.
    expect((await keysUnder(prefix)).sort()).toEqual([...new Set(versions)].sort());
    const retention = await s3.send(new GetObjectRetentionCommand({ Bucket: LOCKED, Key: `${prefix}snapshot.db` }));
    const until = retention.Retention?.RetainUntilDate?.toISOString();
    expect(run.stderr).toContain(
      `warning: rollback kept ${versions.length} object(s) of the incomplete backup under s3://${LOCKED}/${prefix}: retained until ${until} (Object Lock, governance)`,
    );
  });

  it('an unlocked backup into a versioned bucket failing midway is rolled back by version: no version, no delete marker left', async () => {
    const { run, prefix } = await failedMidway();
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/rollback failed|could not delete|rollback kept/);
    const left = await s3.send(new ListObjectVersionsCommand({ Bucket: LOCKED, Prefix: prefix }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
  });
});
