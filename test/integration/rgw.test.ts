/**
 * hcp-dr against a real S3 implementation, Ceph RGW (Debian's Pacific, as in test/sandbox/s3/ceph-rgw.ts),
 * through what ships from a checkout: plugin/kubectl-hcp_dr runs the built loader dist/hcp-dr.cjs
 * (npm test builds it first). Backups come from the sandbox (real etcd, the API simulator).
 *  - over https with the RGW's own CA (--ca-bundle): backup as one PutObject and as a multipart
 *    upload of several parts, list, verify, render --from-backup (its pre-signed URL downloaded with
 *    curl), export --from-backup, --keys-to a second bucket;
 *  - faults, through an HTTP proxy in front of RGW where the network is damaged on purpose: wrong
 *    credentials, a missing bucket, a part changed in transit, a connection cut mid-upload. Each
 *    leaves no object, no backup.json, no pending multipart upload and the cluster as it was;
 *  - --sse, which RGW (Pacific) accepts over https without confirming it and refuses over http.
 * One RGW for the whole file (it takes ~18 s to start); every daemon dies with afterAll or, at the
 * latest, with this process (see ceph-rgw.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillEtcd } from '../sandbox/etcd/fill.ts';
import { REPO_ROOT, SHARED_CRDS, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { startCephRgw, type CephRgw } from '../sandbox/s3/ceph-rgw.ts';
import { startS3Proxy, type S3Proxy } from '../sandbox/s3/proxy.ts';
import { visibleState, type BackupVisibleState } from '../sandbox/cluster-state.ts';
import { runAsync, type Ran } from '../support/spawn.ts';

const execFileP = promisify(execFile);
const PLUGIN = path.join(REPO_ROOT, 'plugin', 'kubectl-hcp_dr');
const LOADER = path.join(REPO_ROOT, 'dist', 'hcp-dr.cjs');
const RENDER_INPUT = path.join(REPO_ROOT, 'test/fixtures/render/aws-from-backup/input.yaml');
const BUCKET = 'hcp-dr-backups';
const KEYS_BUCKET = 'hcp-dr-keys';
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The fields of backup.json these tests read. */
interface Manifest {
  id: string;
  mode: string;
  snapshot: { sha256: string; size: number; revision: number };
  secrets: { name: string; url: string }[];
}

let rgw: CephRgw;
let sb: Sandbox;
let proxy: S3Proxy;
let s3: S3Client;
let home: string;
let initial: BackupVisibleState;
let env: NodeJS.ProcessEnv;

const https3 = () => ['--endpoint', rgw.httpsEndpoint, '--ca-bundle', rgw.caFile, '--path-style'];
const plugin = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> => runAsync(PLUGIN, args, { ...env, ...extraEnv });
const backup = (to: string, s3Flags: string[], ...extra: string[]) =>
  plugin(['backup', 'demo', '-n', 'clusters', '--to', to, ...s3Flags, ...extra]);
const errorLine = (r: Ran) => r.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function pendingUploads(bucket: string): Promise<string[]> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '');
}

let filled: Promise<void> | undefined;
/** Grows the sandbox's etcd once, to a snapshot of more than 2 parts of 8 MiB (~24 MiB). */
const growEtcd = () => (filled ??= fillEtcd(sb.etcd, 20, { prefix: '/hcp-dr-rgw/', inFlight: 2 }));

beforeAll(async () => {
  if (!existsSync(LOADER)) throw new Error(`${LOADER} is missing: run \`npm run build\` (npm test builds it first)`);
  [rgw, sb] = await Promise.all([startCephRgw({ buckets: [BUCKET, KEYS_BUCKET], memstoreBytes: 1024 ** 3 }), startSandbox()]);
  proxy = await startS3Proxy(rgw.endpoint);
  s3 = new S3Client({
    endpoint: rgw.httpsEndpoint,
    region: rgw.region,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: readFileSync(rgw.caFile) }) }),
  });
  home = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-rgw-'));
  // Only what a user's shell would hold: no ~/.aws of this machine, no instance metadata.
  env = {
    PATH: process.env['PATH'],
    HOME: home,
    KUBECONFIG: sb.kubeconfig,
    AWS_ACCESS_KEY_ID: rgw.accessKeyId,
    AWS_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    AWS_REGION: rgw.region,
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  initial = visibleState(sb);
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await proxy?.stop();
  await Promise.all([rgw?.stop(), sb?.stop()]);
  if (home) await rm(home, { recursive: true, force: true });
});

describe('Ceph RGW over https with --ca-bundle, through the built loader', () => {
  let small: Manifest;
  let large: Manifest;
  const urlOf = (m: Manifest) => `s3://${BUCKET}/hcp/clusters/demo/${m.id}/`;

  it('backs up a snapshot smaller than a part as one PutObject, and leaves the cluster as it was', { timeout: 90_000 }, async () => {
    const run = await backup(`s3://${BUCKET}/hcp`, https3(), '--yes', '-o', 'json');
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    small = JSON.parse(run.stdout) as Manifest;
    expect(small.mode).toBe('quiesce');
    expect(small.snapshot.size).toBeLessThan(8 * MiB);
    expect(visibleState(sb)).toEqual(initial);
    const stored = await keys(BUCKET, `hcp/clusters/demo/${small.id}/`);
    expect(stored).toEqual(
      expect.arrayContaining([`hcp/clusters/demo/${small.id}/backup.json`, `hcp/clusters/demo/${small.id}/snapshot.db`]),
    );
    // One PutObject: the ETag is the body's MD5, without the "-<parts>" of a multipart object.
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `hcp/clusters/demo/${small.id}/snapshot.db` }));
    expect(head.ContentLength).toBe(small.snapshot.size);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it(
    'backs up a snapshot of several parts as a multipart upload, and the stored object is the snapshot',
    { timeout: 180_000 },
    async () => {
      await growEtcd();
      const run = await backup(`s3://${BUCKET}/hcp`, https3(), '--yes', '-o', 'json', '-v');
      expect(errorLine(run)).toBe('');
      expect(run.code).toBe(0);
      large = JSON.parse(run.stdout) as Manifest;
      expect(large.snapshot.size).toBeGreaterThan(16 * MiB);
      const parts = Math.ceil(large.snapshot.size / (8 * MiB)); // the default part size
      expect(run.stderr).toContain(`snapshot.db: ${large.snapshot.size} bytes in ${parts} parts in`);
      expect(visibleState(sb)).toEqual(initial);
      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: `hcp/clusters/demo/${large.id}/snapshot.db` }));
      expect(head.ETag).toMatch(new RegExp(`-${parts}"$`));
      expect(head.ContentLength).toBe(large.snapshot.size);
    },
  );

  it('lists both backups, newest first', async () => {
    const run = await plugin(['backup', 'list', '--from', `s3://${BUCKET}/hcp`, ...https3(), '-o', 'json']);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const ids = [...run.stdout.matchAll(/"id": "([^"]+)"/g)].map((m) => m[1]);
    expect(ids.indexOf(large.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(large.id)).toBeLessThan(ids.indexOf(small.id));
  });

  it('verifies the multipart backup end to end: Restorable', { timeout: 90_000 }, async () => {
    const run = await plugin(['backup', 'verify', urlOf(large), ...https3(), '-o', 'json']);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Restorable');
    expect(run.stdout).toContain(large.snapshot.sha256);
  });

  it("renders from the backup a pre-signed https URL that curl downloads with the backup's SHA-256", { timeout: 90_000 }, async () => {
    const validation = existsSync(SHARED_CRDS) ? ['--crd', SHARED_CRDS] : ['--no-validate'];
    const run = await plugin(['render', '-f', RENDER_INPUT, '--from-backup', urlOf(large), ...https3(), ...validation]);
    expect(errorLine(run)).toBe('');
    expect(run.code).toBe(0);
    const hc = yaml.loadAll(run.stdout).find((o) => (o as { kind?: string }).kind === 'HostedCluster') as {
      spec: { etcd: { managed: { storage: { restoreSnapshotURL: string[] } } } };
    };
    const urls = hc.spec.etcd.managed.storage.restoreSnapshotURL;
    expect(urls).toHaveLength(1);
    const url = urls[0] as string;
    expect(
      url.startsWith(`${rgw.httpsEndpoint}/${BUCKET}/hcp/clusters/demo/${large.id}/snapshot.db?X-Amz-Algorithm=AWS4-HMAC-SHA256&`),
    ).toBe(true);
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(url)?.[1] as string;
    expect(run.stderr).not.toContain(signature);
    const file = path.join(home, 'downloaded.db');
    await execFileP('curl', ['-sS', '--fail', '--cacert', rgw.caFile, '-o', file, url]);
    expect(sha256(await readFile(file))).toBe(large.snapshot.sha256);
  });

  it('exports from the backup a tree whose provenance names the backup', async () => {
    const out = path.join(home, 'gitops');
    const run = await plugin(['export', '--from-backup', urlOf(large), ...https3(), '--out', out]);
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    const provenance = yaml.load(await readFile(path.join(out, 'clusters/demo/provenance.yaml'), 'utf8')) as {
      backup: { id: string };
      etcd: { revision: number; snapshotSha256: string };
    };
    expect(provenance.backup.id).toBe(large.id);
    expect(provenance.etcd).toEqual({ revision: large.snapshot.revision, snapshotSha256: large.snapshot.sha256 });
    expect(await readFile(path.join(out, 'clusters/demo/hostedcluster.yaml'), 'utf8')).toContain('infraID: demo-x7k2p');
  });

  it(
    '--keys-to puts the Secrets in a second bucket, none beside the snapshot, and verify finds them there',
    { timeout: 120_000 },
    async () => {
      const run = await backup(`s3://${BUCKET}/split`, https3(), '--keys-to', `s3://${KEYS_BUCKET}/keys`, '--online', '-o', 'json');
      expect(errorLine(run)).toBe('');
      expect(run.code).toBe(0);
      const m = JSON.parse(run.stdout) as Manifest;
      expect(m.secrets.length).toBeGreaterThan(0);
      for (const s of m.secrets) expect(s.url.startsWith(`s3://${KEYS_BUCKET}/keys/clusters/demo/${m.id}/secrets/`)).toBe(true);
      expect((await keys(BUCKET, `split/clusters/demo/${m.id}/`)).filter((k) => k.includes('/secrets/'))).toEqual([]);
      expect(await keys(KEYS_BUCKET, `keys/clusters/demo/${m.id}/secrets/`)).toEqual(
        m.secrets.map((s) => s.url.replace(`s3://${KEYS_BUCKET}/`, '')).sort(),
      );
      const verify = await plugin(['backup', 'verify', `s3://${BUCKET}/split/clusters/demo/${m.id}/`, ...https3()]);
      expect(errorLine(verify)).toBe('');
      expect(verify.code).toBe(0);
    },
  );
});

describe('faults against RGW: nothing completes, no backup.json, the cluster resumed', () => {
  const viaProxy = () => ['--endpoint', proxy.endpoint, '--path-style'];
  beforeAll(() => growEtcd(), 120_000);
  const cases: [
    string,
    () => Promise<{ to?: string; s3Flags?: string[]; env?: NodeJS.ProcessEnv; fault?: Parameters<S3Proxy['setFault']>[0] }>,
    number,
    RegExp,
  ][] = [
    [
      'wrong credentials',
      async () => ({ env: { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, s3Flags: https3() }),
      1,
      /SignatureDoesNotMatch|credentials|Access ?Denied|Forbidden/i,
    ],
    ['a missing bucket', async () => ({ to: 's3://no-such-bucket/hcp', s3Flags: https3() }), 3, /NoSuchBucket|bucket/i],
    [
      'a part changed in transit',
      async () => ({ s3Flags: viaProxy(), fault: { op: 'UploadPart', partNumber: 2, mode: 'corrupt', afterBytes: 4 * MiB } }),
      1,
      /XAmzContentSHA256Mismatch|BadDigest/,
    ],
    [
      'a connection cut mid-upload',
      async () => ({ s3Flags: viaProxy(), fault: { op: 'UploadPart', partNumber: 2, mode: 'cut', afterBytes: MiB, times: Infinity } }),
      1,
      /upload|socket|reset|closed|network|EPIPE|hang up/i,
    ],
  ];
  for (const [name, setup, code, message] of cases) {
    it(`${name}: exit ${code}, one error line naming the cause, the cluster as before, no object left`, { timeout: 120_000 }, async () => {
      const before = await keys(BUCKET);
      const c = await setup();
      proxy.clearRequests();
      proxy.setFault(c.fault);
      const triggered = proxy.faultsTriggered;
      let run: Ran;
      try {
        run = await plugin(
          ['backup', 'demo', '-n', 'clusters', '--to', c.to ?? `s3://${BUCKET}/faults`, ...(c.s3Flags ?? []), '--yes'],
          c.env ?? {},
        );
      } finally {
        proxy.setFault(undefined);
      }
      if (c.fault) {
        // The fault hit a multipart upload in flight (the snapshot is ~24 MiB: 3-4 parts).
        expect(proxy.faultsTriggered, run.stderr).toBeGreaterThan(triggered);
        expect(proxy.requests.some((r) => r.op === 'CreateMultipartUpload')).toBe(true);
      }
      expect(run.code, run.stderr).toBe(code);
      expect(errorLine(run)).toMatch(message);
      expect(run.stderr).toMatch(/^hint: /m);
      expect(visibleState(sb)).toEqual(initial);
      expect(await keys(BUCKET)).toEqual(before);
      expect(await pendingUploads(BUCKET)).toEqual([]);
      if (c.fault?.mode === 'corrupt') {
        // RGW (Pacific) does not check CRC32: the parts must have gone payload-signed, and no part was retried into success.
        const parts = proxy.requests.filter((r) => r.op === 'UploadPart');
        expect(parts.length).toBeGreaterThan(0);
        for (const p of parts) expect(p.integrity.contentSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(proxy.requests.filter((r) => r.op === 'CompleteMultipartUpload')).toEqual([]);
        expect(proxy.requests.some((r) => r.op === 'AbortMultipartUpload')).toBe(true);
      }
    });
  }
});

describe('--sse on RGW (Pacific: AES256 accepted over https without confirming it, refused over http)', () => {
  beforeAll(() => growEtcd(), 120_000);

  it('over https, the backup completes with one warning that the store did not confirm the encryption', { timeout: 120_000 }, async () => {
    const run = await backup(`s3://${BUCKET}/sse`, https3(), '--sse', 'AES256', '--online', '-o', 'json');
    expect(errorLine(run)).toBe('');
    expect(run.code).toBe(0);
    const m = JSON.parse(run.stdout) as Manifest & { serverSideEncryption: unknown };
    expect(m.serverSideEncryption).toMatchObject({ type: 'AES256' });
    expect(run.stderr.match(/^warning: .*did not confirm server-side encryption AES256/gm)).toHaveLength(1);
    expect(await keys(BUCKET, `sse/clusters/demo/${m.id}/`)).toContain(`sse/clusters/demo/${m.id}/backup.json`);
  });

  it('with --require-sse, it refuses (exit 3), keeps no object and leaves the cluster as before', { timeout: 120_000 }, async () => {
    const before = await keys(BUCKET);
    const run = await backup(`s3://${BUCKET}/sse-required`, https3(), '--sse', 'AES256', '--require-sse', '--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(errorLine(run)).toMatch(/did not confirm server-side encryption AES256/);
    expect(run.stderr).toMatch(/^hint: /m);
    expect(visibleState(sb)).toEqual(initial);
    expect(await keys(BUCKET)).toEqual(before);
    expect(await pendingUploads(BUCKET)).toEqual([]);
  });

  it(
    'over http, RGW refuses it (400 InvalidRequest): one error line, a hint to use https, nothing left',
    { timeout: 120_000 },
    async () => {
      const before = await keys(BUCKET);
      const run = await backup(`s3://${BUCKET}/sse-http`, ['--endpoint', rgw.endpoint, '--path-style'], '--sse', 'AES256', '--yes');
      expect(run.code, run.stderr).toBe(3);
      expect(errorLine(run)).toMatch(/InvalidRequest/);
      expect(run.stderr).toMatch(/^hint: .*https/m);
      expect(visibleState(sb)).toEqual(initial);
      expect(await keys(BUCKET)).toEqual(before);
      expect(await pendingUploads(BUCKET)).toEqual([]);
    },
  );
});
