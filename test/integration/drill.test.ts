/**
 * `drill` end to end on the sandbox: a real backup of the demo restored into a real etcd process
 * run as the drill's scratch pod (test/sandbox/etcd/drill-pods.ts), proven, cleaned up; and the
 * backups that must fail (wrong key, truncated snapshot, keys lost after backup.json), each with
 * the check that caught it; SIGKILL mid-drill, then `resume` or a re-run.
 */
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, sandboxS3Client, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import type { DrillResult } from '../../src/core/drill/result.ts';
import { CHECK_NAMES } from '../../src/core/drill/result.ts';
import { PUSHGATEWAY, startPushgateway } from '../support/pushgateway.ts';
import { cliKilledAt } from '../support/kill-at.ts';

let sb: Sandbox;
let s3: S3Client;
let restoreEnv: (() => void) | undefined;
let manifest: BackupManifest;
let backupUrl: string;
const SCRATCH = 'hcp-dr-drill-demo';
const NAMESPACES = { group: '', version: 'v1', plural: 'namespaces' };
const SECRETS = { group: '', version: 'v1', plural: 'secrets' };

const keyOf = (url: string) => url.replace(`s3://${sb.s3.bucket}/`, '');
async function getObject(key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: sb.s3.bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}
const putObject = (key: string, body: Buffer | string) => s3.send(new PutObjectCommand({ Bucket: sb.s3.bucket, Key: key, Body: body }));

/** A copy of the demo backup under `<name>/`, changed by `change` (backup.json and snapshot). */
async function variant(name: string, change: (m: BackupManifest, snapshot: Buffer) => Promise<Buffer> | Buffer): Promise<string> {
  const src = keyOf(backupUrl).replace(/\/$/, '');
  const dst = `variants/${name}/clusters/demo/${manifest.id}`;
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: `${src}/` }));
  for (const o of listed.Contents ?? []) {
    const rel = o.Key!.slice(src.length + 1);
    if (rel !== 'backup.json' && rel !== 'snapshot.db' && rel !== 'drill.json') await putObject(`${dst}/${rel}`, await getObject(o.Key!));
  }
  const m = structuredClone(manifest);
  const snapshot = await change(m, await getObject(`${src}/snapshot.db`));
  await putObject(`${dst}/snapshot.db`, snapshot);
  await putObject(`${dst}/backup.json`, JSON.stringify(m));
  return `s3://${sb.s3.bucket}/${dst}/`;
}

const drillArgs = (url: string, ...extra: string[]) => ['drill', url, '--kubeconfig', sb.kubeconfig, ...sandboxS3Flags(sb), ...extra];
const scratchLeft = () => sb.sim.store.get(NAMESPACES, undefined, SCRATCH);
const podsLeft = () => sb.sim.store.list({ group: '', version: 'v1', plural: 'pods' }, SCRATCH);

beforeAll(async () => {
  sb = await startSandbox();
  restoreEnv = useSandboxCredentials(sb);
  s3 = sandboxS3Client(sb);
  for (let i = 0; i < 5; i++) await sb.etcd.put(`/hcp-dr-test/lost-${i}`, 'v');
  const run = await runCliInProcess(demoBackupArgs(sb, ['--online', '-o', 'json']));
  expect(run.code, run.stderr).toBe(0);
  manifest = JSON.parse(run.stdout) as BackupManifest;
  backupUrl = `s3://${sb.s3.bucket}/hcp/clusters/demo/${manifest.id}/`;
}, 180_000);
afterAll(async () => {
  restoreEnv?.();
  s3?.destroy();
  await sb?.stop();
});

describe('sandbox: Secrets stored as kube-apiserver stores them', () => {
  it("holds Secrets encrypted with the cluster's AES-CBC key (k8s:enc:aescbc:v1:, IV first, PKCS#7), decrypting to protobuf storage", async () => {
    const r = await sb.etcd.etcdctl(['get', '/kubernetes.io/secrets/default/app-secret-0', '-w', 'json']);
    const value = Buffer.from((JSON.parse(r.stdout) as { kvs: { value: string }[] }).kvs[0]!.value, 'base64');
    expect(value.subarray(0, 18).toString('latin1')).toBe('k8s:enc:aescbc:v1:');
    expect(value.includes(Buffer.from('app-secret-0'))).toBe(false);
    const key = Buffer.from((sb.sim.store.get(SECRETS, 'clusters', 'demo-etcd-encryption-key')!['data'] as { key: string }).key, 'base64');
    const body = value.subarray(value.indexOf(0x3a, 18) + 1);
    const d = createDecipheriv('aes-256-cbc', key, body.subarray(0, 16));
    const plain = Buffer.concat([d.update(body.subarray(16)), d.final()]);
    expect(plain.subarray(0, 4).toString('latin1')).toBe('k8s\0');
    expect(plain.includes(Buffer.from('app-secret-0'))).toBe(true);
    const wrong = createDecipheriv('aes-256-cbc', randomBytes(32), body.subarray(0, 16));
    const wrongKeyReads = (() => {
      try {
        return (
          Buffer.concat([wrong.update(body.subarray(16)), wrong.final()])
            .subarray(0, 4)
            .toString('latin1') === 'k8s\0'
        );
      } catch {
        return false; // bad padding
      }
    })();
    expect(wrongKeyReads).toBe(false);
  });
});

describe('drill of the demo backup', () => {
  it('passes every check, reports the RTO, leaves nothing in the scratch namespace, and writes drill.json that backup list shows', async () => {
    const run = await runCliInProcess(drillArgs(backupUrl, '-o', 'json'));
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as DrillResult;
    expect(result.result).toBe('Passed');
    expect(result.checks.map((c) => c.name)).toEqual([...CHECK_NAMES]);
    for (const c of result.checks) expect(c, c.detail).toMatchObject({ result: 'pass' });
    expect(result.rto.rtoSeconds).toBeGreaterThan(0);
    expect(result.rto.rtoSeconds).toBeCloseTo(result.rto.downloadSeconds + result.rto.restoreSeconds + result.rto.startSeconds, 2);
    expect(result.keysByType['secrets']).toBeGreaterThanOrEqual(12);
    expect(result.keysByType['nodes']).toBe(2);
    expect(result.checks.find((c) => c.name === 'secrets-decrypt')!.detail).toMatch(/^12 of 12 sampled aescbc Secrets/);
    expect(scratchLeft()).toBeUndefined();
    expect(podsLeft()).toEqual([]);
    const stored = JSON.parse((await getObject(`${keyOf(backupUrl)}drill.json`)).toString()) as DrillResult;
    expect(stored).toMatchObject({ kind: 'EtcdBackupDrill', result: 'Passed', backupId: manifest.id });
    expect(JSON.stringify(stored)).not.toMatch(/X-Amz-Signature|BEGIN .*PRIVATE KEY/);
    const list = await runCliInProcess([
      'backup',
      'list',
      'demo',
      '-n',
      'clusters',
      '--from',
      `s3://${sb.s3.bucket}/hcp`,
      ...sandboxS3Flags(sb),
    ]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/DRILL/);
    expect(list.stdout).toMatch(/Passed \d{4}-\d\d-\d\dT[\d:]+Z \(RTO [\d.]+s\)/);
    const verify = await runCliInProcess(['backup', 'verify', backupUrl, ...sandboxS3Flags(sb)]);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^DRILL +Passed .*\(RTO [\d.]+s\)$/m);
    const status = await runCliInProcess([
      'etcd',
      'status',
      'demo',
      '-n',
      'clusters',
      '--kubeconfig',
      sb.kubeconfig,
      '--backups',
      `s3://${sb.s3.bucket}/hcp`,
      ...sandboxS3Flags(sb),
    ]);
    expect(status.stdout, status.stderr).toMatch(/^LAST DRILL +Passed /m);
  }, 180_000);

  it('prints every check with its result and the RTO as a table', async () => {
    const run = await runCliInProcess(drillArgs(backupUrl));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^RTO +[\d.]+s \(download [\d.]+s, restore [\d.]+s, start [\d.]+s\)$/m);
    for (const name of CHECK_NAMES) expect(run.stdout).toMatch(new RegExp(`^${name} +ok `, 'm'));
  }, 180_000);

  it.skipIf(!PUSHGATEWAY)(
    "--pushgateway pushes the drill's result and RTO to a real Pushgateway",
    async () => {
      const pg = await startPushgateway();
      try {
        const run = await runCliInProcess(drillArgs(backupUrl, '--pushgateway', pg.url));
        expect(run.code, run.stderr).toBe(0);
        const { series } = await pg.scrape();
        const value = (name: string) =>
          series.find(
            (x) =>
              x.name === name &&
              x.labels['job'] === 'hcp-dr-drill' &&
              x.labels['hosted_cluster'] === 'demo' &&
              x.labels['namespace'] === 'clusters',
          )?.value;
        expect(value('hcp_dr_drill_last_result')).toBe(1);
        expect(value('hcp_dr_drill_rto_seconds')).toBeGreaterThan(0);
        expect(value('hcp_dr_drill_last_success_timestamp_seconds')).toBeGreaterThan(1.7e9);
      } finally {
        await pg.stop();
      }
    },
    180_000,
  );
});

describe('drills that must fail, each with the check that caught it, leaving nothing behind', () => {
  async function failing(url: string, check: string): Promise<DrillResult> {
    const run = await runCliInProcess(drillArgs(url, '-o', 'json'));
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout) as DrillResult;
    expect(result.result).toBe('Failed');
    expect(result.checks.filter((c) => c.result === 'fail').map((c) => c.name)).toContain(check);
    expect(run.stderr).toMatch(new RegExp(`NOT proven restorable: .*${check}`));
    expect(scratchLeft()).toBeUndefined();
    return result;
  }

  it('a bundle whose AES-CBC key was replaced by a wrong one fails secrets-decrypt', async () => {
    const url = await variant('wrong-key', (m) => {
      const keyUrl = `s3://${sb.s3.bucket}/variants/wrong-key/clusters/demo/${m.id}/secrets/wrong-key.yaml`;
      if (m.encryption.type !== 'aescbc') throw new Error('the demo backup is aescbc');
      m.encryption.keyUrl = keyUrl;
      return putObject(
        keyOf(keyUrl),
        `apiVersion: v1\nkind: Secret\nmetadata: {name: demo-etcd-encryption-key}\ndata: {key: ${randomBytes(32).toString('base64')}}\n`,
      ).then(() => getObject(`${keyOf(backupUrl)}snapshot.db`));
    });
    const r = await failing(url, 'secrets-decrypt');
    expect(r.checks.find((c) => c.name === 'snapshot-sha256')!.result).toBe('pass');
  }, 180_000);

  it('a truncated snapshot fails snapshot-sha256 and the data checks are skipped, naming why', async () => {
    const url = await variant('truncated', (_m, snap) => snap.subarray(0, Math.floor(snap.length / 2)));
    const r = await failing(url, 'snapshot-sha256');
    expect(r.checks.find((c) => c.name === 'member-health')).toMatchObject({
      result: 'skipped',
      detail: expect.stringMatching(/^skipped: /),
    });
  }, 180_000);

  it('a snapshot that lost keys after backup.json was written fails snapshot-status (revision and keys against backup.json)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-drill-'));
    try {
      for (let i = 0; i < 5; i++) await sb.etcd.etcdctl(['del', `/hcp-dr-test/lost-${i}`]);
      const file = path.join(dir, 'lost.db');
      const saved = await sb.etcd.etcdctl(['snapshot', 'save', file], { endpoints: [0] });
      expect(saved.code, saved.stderr).toBe(0);
      const bytes = await readFile(file);
      // The digest matches (as if the writer recorded it of the final file); the counts are of the earlier data.
      const url = await variant('lost-keys', (m) => {
        m.snapshot.sha256 = createHash('sha256').update(bytes).digest('hex');
        m.snapshot.size = bytes.length;
        return bytes;
      });
      const r = await failing(url, 'snapshot-status');
      expect(r.checks.find((c) => c.name === 'snapshot-sha256')!.result).toBe('pass');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

/** `drill` as its own process, SIGKILLed once it reports `step` (debug line with -v). */
function drillKilledAt(
  step: string,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<{ reached: boolean; signal: NodeJS.Signals | null; code: number | null }> {
  return cliKilledAt(drillArgs(backupUrl, '-v'), `debug: step: ${step}\n`, { env: sb.env, signal }).then(({ reached, signal, code }) => ({
    reached,
    signal,
    code,
  }));
}

describe('SIGKILL during a drill', () => {
  it('leaves the scratch namespace with its record; resume removes it', async () => {
    const run = await drillKilledAt('copied');
    expect(run).toEqual({ reached: true, signal: 'SIGKILL', code: null });
    expect(scratchLeft()?.metadata.annotations?.['hcp-dr.openshift.io/operation']).toMatch(/"type":"drill"/);
    const resume = await runCliInProcess(['resume', 'demo', '-n', SCRATCH, '--kubeconfig', sb.kubeconfig]);
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout).toMatch(/namespace hcp-dr-drill-demo/);
    expect(scratchLeft()).toBeUndefined();
  }, 180_000);

  it('SIGINT rolls back by itself: exit 130, the scratch namespace removed', async () => {
    const run = await drillKilledAt('etcd-started', 'SIGINT');
    expect(run.reached).toBe(true);
    expect(run.code).toBe(130);
    expect(scratchLeft()).toBeUndefined();
  }, 180_000);

  it('a re-run cleans up the dead drill first, then drills', async () => {
    expect((await drillKilledAt('pod')).reached).toBe(true);
    expect(scratchLeft()).toBeDefined();
    const run = await runCliInProcess(drillArgs(backupUrl, '-o', 'json'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/holds drill drill-\w+ \(phase \S+\) that did not finish: removing it first/);
    expect(scratchLeft()).toBeUndefined();
  }, 180_000);
});

describe('how the snapshot reaches the drill pod', () => {
  it('a plain snapshot is fetched by the pod itself from a pre-signed URL (as etcd-init would), hashed once; the URL is never printed', async () => {
    const run = await runCliInProcess(drillArgs(backupUrl, '-o', 'json', '-v'));
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as DrillResult;
    expect(result.checks.find((c) => c.name === 'snapshot-sha256')).toMatchObject({
      result: 'pass',
      detail: expect.stringMatching(/as backup\.json records \(pulled by the pod\)$/),
    });
    expect(run.stderr + run.stdout).not.toMatch(/X-Amz-Signature|X-Amz-Credential/);
    expect(scratchLeft()).toBeUndefined();
  }, 180_000);

  it('a compressed backup (decoded by hcp-dr) is streamed through exec instead, and passes every check', async () => {
    const backup = await runCliInProcess(demoBackupArgs(sb, ['--online', '--compress', 'zstd', '-o', 'json']));
    expect(backup.code, backup.stderr).toBe(0);
    const m = JSON.parse(backup.stdout) as BackupManifest;
    expect(m.storage).toBeDefined();
    const run = await runCliInProcess(drillArgs(`s3://${sb.s3.bucket}/hcp/clusters/demo/${m.id}/`, '-o', 'json'));
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as DrillResult;
    for (const c of result.checks) expect(c, c.detail).toMatchObject({ result: 'pass' });
    expect(result.checks.find((c) => c.name === 'snapshot-sha256')!.detail).toMatch(/\(streamed through hcp-dr\)$/);
    expect(scratchLeft()).toBeUndefined();
  }, 180_000);
});
