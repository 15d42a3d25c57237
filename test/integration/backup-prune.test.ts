/**
 * `backup prune` end to end in process: runCli with the real S3 adapter against the
 * SigV4-verifying test server, a bucket seeded with backups at many ages (dated by backup.json's
 * createdAt and their ids, as `backup list` dates them), their --keys-to Secrets in another
 * bucket, incomplete prefixes young and old, and objects that are no backups. The expected
 * survivors are derived by hand from restic's definitions in each case.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openObjectStore } from '../../src/s3/store.ts';
import { BackupFiles } from '../../src/core/bundle/layout.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { backupManifest } from '../support/fakes/backup-manifest.ts';
import { listBackups } from '../../src/core/bundle/list.ts';
import { pruneBackups } from '../../src/core/backup/prune.ts';
import { RemoteError } from '../../src/core/errors.ts';
import type { ObjectStore, StoredObject } from '../../src/core/ports.ts';
import { runCliInProcess, type CliRun } from '../support/cli.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { silentReporter, useS3Env } from './s3-env.ts';

const dir = path.join(os.tmpdir(), `hcpdr-prune-${process.pid}-${Date.now()}`);
const NOW = new Date('2026-11-30T12:00:00Z'); // a Monday
const clock = { now: () => NOW, sleep: async () => undefined };

/** `<UTC time>-<6 hex>` for a time; the suffix names the backup in this test. */
const idAt = (iso: string, tag: string) => `${iso.replace(/[-:]/g, '').replace(/\.\d{3}Z$|Z$/, '')}Z-${tag}`;

function manifest(id: string, ns: string, name: string, createdAt: string, secretUrls: string[]): BackupManifest {
  return backupManifest(
    id,
    createdAt,
    { namespace: ns, name },
    {
      encryption: secretUrls[0] ? { type: 'aescbc', activeKeySecret: 'etcd-key', keyUrl: secretUrls[0], keySha256: 'x' } : { type: 'none' },
      secrets: secretUrls.map((url, i) => ({ namespace: ns, name: `s${i}`, role: i === 0 ? 'encryption-key' : 'pki', url })),
    },
  );
}

/** The demo cluster's backups (tag -> createdAt). NOW is Mon 2026-11-30 12:00Z. */
const DEMO: Record<string, string> = {
  aaaaa1: '2026-11-30T10:00:00Z', // Mon, week 49, November: the newest
  bbbbb2: '2026-11-30T04:00:00Z', // same day as aaaaa1
  ccccc3: '2026-11-29T22:00:00Z', // Sun, week 48
  ddddd4: '2026-11-29T03:00:00Z', // same day and week as ccccc3
  eeeee5: '2026-11-28T10:00:00Z', // Sat, week 48
  fffff6: '2026-11-26T10:00:00Z', // Thu, week 48
  a0a0a7: '2026-11-22T10:00:00Z', // Sun, week 47
  b0b0b8: '2026-11-20T10:00:00Z',
  c0c0c9: '2026-11-10T10:00:00Z',
  d0d0da: '2026-10-31T10:00:00Z', // the last of October
  e0e0eb: '2026-10-02T10:00:00Z',
  f0f0fc: '2026-09-15T10:00:00Z',
  abcdef: '2026-08-01T10:00:00Z',
};
/**
 * --keep-last 2 --keep-daily 3 --keep-weekly 2 --keep-monthly 2, by restic's definitions:
 *  last 2: aaaaa1, bbbbb2. daily 3 (the most recent of each of the last 3 days with a backup):
 *  aaaaa1 (11-30), ccccc3 (11-29), eeeee5 (11-28). weekly 2: aaaaa1 (W49), ccccc3 (W48).
 *  monthly 2: aaaaa1 (Nov), d0d0da (Oct). Every rule found its N periods: no "oldest".
 */
const DEMO_KEPT: Record<string, string> = {
  aaaaa1: 'newest, last, daily, weekly, monthly',
  bbbbb2: 'last',
  ccccc3: 'daily, weekly',
  eeeee5: 'daily',
  d0d0da: 'monthly',
};
const PROD: Record<string, string> = {
  '111111': '2025-03-01T00:00:00Z',
  '222222': '2025-02-28T12:00:00Z',
  '333333': '2025-01-01T00:00:00Z',
};

describe('backup prune (in process, real S3 adapter, SigV4 test server)', () => {
  let server: S3Server;
  let env: { restore(): void };
  let store: ObjectStore;
  let keys: ObjectStore;
  const ids: Record<string, string> = {};
  const s3 = (...args: string[]) => [...args, '--endpoint', server.endpoint];
  const cli = (argv: string[]): Promise<CliRun> => runCliInProcess(argv, { clock });
  const everything = async () => [...(await store.list('')), ...(await keys.list(''))].map((o) => `${o.key} ${o.size}`).sort();
  const listed = async (filter: { namespace?: string; name?: string } = {}) =>
    (await listBackups({ store, prefix: 'hcp' }, filter, { clock })).items.map((i) => i.id.slice(-6)).sort();

  async function putBackup(
    ns: string,
    name: string,
    tag: string,
    createdAt: string,
    options: { keysTo?: boolean; extraUrl?: string } = {},
  ) {
    const id = idAt(createdAt, tag);
    ids[tag] = id;
    const prefix = `hcp/${ns}/${name}/${id}`;
    await store.put(`${prefix}/${BackupFiles.snapshot}`, 'snap!');
    await store.put(`${prefix}/${BackupFiles.hostedCluster}`, 'kind: HostedCluster\n');
    const urls: string[] = [];
    if (options.keysTo) {
      for (const f of ['secrets/etcd-key.yaml', 'secrets/root-ca.yaml']) {
        await keys.put(`k/${ns}/${name}/${id}/${f}`, 'kind: Secret\ndata: {key: c2VjcmV0}\n');
        urls.push(keys.url(`k/${ns}/${name}/${id}/${f}`));
      }
    } else {
      await store.put(`${prefix}/secrets/etcd-key.yaml`, 'kind: Secret\n');
      urls.push(store.url(`${prefix}/secrets/etcd-key.yaml`));
    }
    if (options.extraUrl) urls.push(options.extraUrl);
    await store.put(`${prefix}/${BackupFiles.manifest}`, JSON.stringify(manifest(id, ns, name, createdAt.replace('Z', '.000Z'), urls)));
  }

  beforeAll(async () => {
    await mkdir(dir, { recursive: true });
    server = await startS3Server({ dir: path.join(dir, 's3'), buckets: ['backups', 'keys', 'empty'] });
    env = useS3Env(server);
    store = (await openObjectStore({ url: 's3://backups', endpoint: server.endpoint }, silentReporter)).store;
    keys = (await openObjectStore({ url: 's3://keys', endpoint: server.endpoint }, silentReporter)).store;
    await keys.put('elsewhere/important.yaml', 'not a backup object\n');
    for (const [tag, at] of Object.entries(DEMO)) {
      await putBackup('clusters', 'demo', tag, at, {
        keysTo: true,
        ...(tag === 'ddddd4' ? { extraUrl: keys.url('elsewhere/important.yaml') } : {}),
      });
    }
    for (const [tag, at] of Object.entries(PROD)) await putBackup('other', 'prod', tag, at);
    // Incomplete prefixes: one 2h old (may be running), one 3 days old (debris of a killed run).
    await store.put(`hcp/clusters/demo/${idAt('2026-11-30T10:00:00Z', '77777a')}/snapshot.db`, 'part');
    await store.put(`hcp/clusters/demo/${idAt('2026-11-27T10:00:00Z', '77777b')}/snapshot.db`, 'part');
    // A backup.json that is not one: kept and reported, never deleted.
    await store.put(`hcp/clusters/demo/${idAt('2026-01-01T00:00:00Z', '99999c')}/backup.json`, '{not json');
    // Objects that are no backups at all.
    await store.put('hcp/notes/readme.txt', 'hello');
    await store.put('hcp/app/logs/2026/01.log', 'log');
  }, 120_000);
  afterAll(async () => {
    env?.restore();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const POLICY = ['--keep-last', '2', '--keep-daily', '3', '--keep-weekly', '2', '--keep-monthly', '2'];

  it('--dry-run shows what is kept and why, and deletes nothing', async () => {
    const before = await everything();
    const r = await cli(s3('backup', 'prune', '--from', 's3://backups/hcp', ...POLICY, '--dry-run'));
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ACTION\s+CLUSTER\s+BACKUP\s+CREATED\s+AGE\s+SIZE\s+WHY$/);
    const demo = Object.fromEntries(
      rows.filter((l) => / clusters\/demo /.test(l)).map((l) => [l.split(/\s+/)[2]?.slice(-6), l.split(/\s{3,}/).slice(-1)[0]]),
    );
    for (const tag of Object.keys(DEMO)) {
      expect(demo[tag], tag).toBe(DEMO_KEPT[tag] ? `kept by: ${DEMO_KEPT[tag]}` : 'no rule keeps it');
    }
    expect(demo['77777a']).toBe('incomplete, younger than the grace period (may be running)');
    expect(demo['77777b']).toBe('incomplete (no backup.json), older than the grace period');
    expect(demo['99999c']).toMatch(/^unreadable backup.json: .*not valid JSON/);
    expect(r.stdout).not.toMatch(/notes|logs/);
    expect(r.stdout).not.toContain('c2VjcmV0'); // no secret material, ever
    expect(r.stderr).toMatch(/dry run: would delete 8 backups and 1 incomplete prefix \(\d+ objects, .*\), keep 10; nothing was deleted/);
    expect(await everything()).toEqual(before);

    const json = await cli(s3('backup', 'prune', '--from', 's3://backups/hcp', ...POLICY, '--dry-run', '-o', 'json'));
    const result = JSON.parse(json.stdout) as {
      kind: string;
      dryRun: boolean;
      items: { id: string; action: string; externalObjects: string[] }[];
    };
    expect(result).toMatchObject({ kind: 'BackupPrune', dryRun: true });
    const fffff6 = result.items.find((i) => i.id === ids['fffff6']);
    expect(fffff6?.externalObjects).toEqual([
      `s3://keys/k/clusters/demo/${ids['fffff6']}/secrets/etcd-key.yaml`,
      `s3://keys/k/clusters/demo/${ids['fffff6']}/secrets/root-ca.yaml`,
    ]);
    expect(await everything()).toEqual(before);
  });

  it('deletes exactly what no rule keeps, with its --keys-to Secrets; never the newest, never a young incomplete prefix', async () => {
    const r = await cli(s3('backup', 'prune', '--from', 's3://backups/hcp', ...POLICY, '-v'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/debug: object store: s3:\/\/backups\/hcp/); // -v shows debug lines, and:
    expect(r.stderr).not.toMatch(/DeleteObjects refused/); // the batch call was taken, as S3 has it
    expect(r.stderr).toMatch(/deleted 8 backups and 1 incomplete prefix/);
    expect(r.stderr).toMatch(/leaving s3:\/\/keys\/elsewhere\/important.yaml in place: .* outside the backup layout/);
    expect(await listed({ namespace: 'clusters', name: 'demo' })).toEqual(Object.keys(DEMO_KEPT).sort());
    expect(await listed({ namespace: 'other' })).toEqual(['111111', '222222', '333333']); // keep-last 2 + daily 3: all three
    const left = (await store.list('hcp/')).map((o) => o.key);
    expect(left).toContain(`hcp/clusters/demo/${idAt('2026-11-30T10:00:00Z', '77777a')}/snapshot.db`);
    expect(left.some((k) => k.includes('77777b'))).toBe(false);
    expect(left).toContain(`hcp/clusters/demo/${idAt('2026-01-01T00:00:00Z', '99999c')}/backup.json`);
    expect(left).toEqual(expect.arrayContaining(['hcp/notes/readme.txt', 'hcp/app/logs/2026/01.log']));
    for (const tag of Object.keys(DEMO)) {
      const under = left.filter((k) => k.includes(ids[tag] as string));
      expect(under.length, tag).toBe(DEMO_KEPT[tag] ? 3 : 0); // snapshot, HostedCluster, backup.json
    }
    const keyObjects = (await keys.list('')).map((o) => o.key);
    expect(
      keyObjects
        .filter((k) => k.startsWith('k/'))
        .map((k) => k.split('/')[3]?.slice(-6))
        .sort(),
    ).toEqual(
      Object.keys(DEMO_KEPT)
        .sort()
        .flatMap((t) => [t, t])
        .sort(),
    );
    expect(keyObjects).toContain('elsewhere/important.yaml');

    // Again: nothing more to delete; the same five stay.
    const again = await cli(s3('backup', 'prune', '--from', 's3://backups/hcp', ...POLICY, '-o', 'json'));
    const second = JSON.parse(again.stdout) as { summary: { deleted: number; incompleteDeleted: number } };
    expect(second.summary).toMatchObject({ deleted: 0, incompleteDeleted: 0 });
  });

  it('keep-within counts back from the newest backup of the cluster, not from now; the cluster filter leaves others alone', async () => {
    const before = await listed({ namespace: 'clusters' });
    const r = await cli(s3('backup', 'prune', 'prod', '-n', 'other', '--from', 's3://backups/hcp', '--keep-within', '1d', '-o', 'json'));
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { items: { id: string; action: string; reasons: string[] }[] };
    expect(result.items.map((i) => [i.id.slice(-6), i.action, i.reasons.join(',')])).toEqual([
      ['111111', 'keep', 'newest,within'], // 21 months old, still the newest of other/prod
      ['222222', 'keep', 'within'], // 12h before it
      ['333333', 'delete', 'no rule keeps it'],
    ]);
    expect(await listed({ namespace: 'other' })).toEqual(['111111', '222222']);
    expect(await listed({ namespace: 'clusters' })).toEqual(before);
  });

  it('deletes backup.json first: a run that fails midway leaves no half-deleted backup listed as complete', async () => {
    const tag = 'eeeee5';
    const prefix = `hcp/clusters/demo/${ids[tag]}`;
    const failing = new FailingDeletes(store);
    const prune = pruneBackups(
      {
        source: { store: failing, prefix: 'hcp' },
        filter: { namespace: 'clusters', name: 'demo' },
        policy: { last: 2 }, // keeps aaaaa1, bbbbb2: ccccc3 goes first (newest first), and its rest fails
        incompleteGraceMs: 86_400_000,
        dryRun: false,
      },
      { clock, reporter: silentReporter, openBucket: () => Promise.resolve(keys) },
    );
    await expect(prune).rejects.toThrow(RemoteError);
    const gone = `hcp/clusters/demo/${ids['ccccc3']}`;
    expect(await store.head(`${gone}/backup.json`)).toBeUndefined();
    expect(await store.head(`${gone}/snapshot.db`)).toBeDefined(); // the rest is still there
    expect(await listed({ namespace: 'clusters', name: 'demo' })).not.toContain('ccccc3');
    expect((await keys.list(`k/clusters/demo/${ids['ccccc3']}/`)).length).toBe(0); // its Secrets went right after backup.json
    expect(await store.head(`${prefix}/backup.json`)).toBeDefined(); // the next one was not touched

    // What is left is an incomplete prefix: kept while its id (14h old) is within the grace period, debris after.
    const args = ['backup', 'prune', 'demo', '-n', 'clusters', '--from', 's3://backups/hcp', '--keep-last', '2', '-o', 'json'];
    const young = JSON.parse((await cli(s3(...args))).stdout) as { items: { id: string; state: string; action: string }[] };
    expect(young.items.find((i) => i.id === ids['ccccc3'])).toMatchObject({ state: 'incomplete', action: 'keep' });
    expect((await store.list(`${gone}/`)).length).toBe(2);
    const r = await cli(s3(...args, '--incomplete-grace', '12h'));
    const result = JSON.parse(r.stdout) as { items: { id: string; state: string; action: string }[] };
    expect(result.items.find((i) => i.id === ids['ccccc3'])).toMatchObject({ state: 'incomplete', action: 'delete' });
    expect((await store.list(`${gone}/`)).length).toBe(0);
    expect(await listed({ namespace: 'clusters', name: 'demo' })).toEqual(['aaaaa1', 'bbbbb2']);
  });

  it('a signal mid-backup finishes that backup (the cut request sent again), then stops before the next', async () => {
    for (const [tag, at] of Object.entries({
      d1d1d1: '2026-10-01T00:00:00Z',
      d2d2d2: '2026-10-02T00:00:00Z',
      d3d3d3: '2026-10-03T00:00:00Z',
    })) {
      await putBackup('signalled', 'x', tag, at, { keysTo: true });
    }
    const interrupt = new AbortController();
    // The first batch (the --keys-to Secrets of d2d2d2, the first to go) is cut by the signal, as the adapter cuts a request in flight.
    const cut = new FailingDeletes(keys, { onBatch: () => interrupt.abort(new Error('interrupted (injected SIGINT)')), times: 1 });
    const prune = pruneBackups(
      {
        source: { store, prefix: 'hcp' },
        filter: { namespace: 'signalled' },
        policy: { last: 1 },
        incompleteGraceMs: 86_400_000,
        dryRun: false,
      },
      { clock, reporter: silentReporter, signal: interrupt.signal, openBucket: () => Promise.resolve(cut) },
    );
    await expect(prune).rejects.toThrow(/interrupted \(injected SIGINT\)/);
    expect(await listed({ namespace: 'signalled' })).toEqual(['d1d1d1', 'd3d3d3']);
    expect((await store.list(`hcp/signalled/x/${ids['d2d2d2']}/`)).length).toBe(0);
    expect((await keys.list(`k/signalled/x/${ids['d2d2d2']}/`)).length).toBe(0); // finished: no orphaned Secrets
    expect((await keys.list(`k/signalled/x/${ids['d1d1d1']}/`)).length).toBe(2); // the next was not begun
  });

  it('deletes in DeleteObjects batches, and key by key where the store refuses them', async () => {
    const proxy = await startDeleteProxy(server.endpoint);
    try {
      for (const refuse of [false, true]) {
        const ns = refuse ? 'refusing' : 'batching';
        for (const [tag, at] of Object.entries({
          a1a1a1: '2026-11-01T00:00:00Z',
          b2b2b2: '2026-11-02T00:00:00Z',
          c3c3c3: '2026-11-03T00:00:00Z',
        })) {
          await putBackup(ns, 'x', tag, at);
        }
        proxy.state.refuseBatch = refuse;
        proxy.log.length = 0;
        const r = await runCliInProcess(
          ['backup', 'prune', '-n', ns, '--from', 's3://backups/hcp', '--keep-last', '1', '--endpoint', proxy.endpoint, '-v'],
          { clock },
        );
        expect(r.code, r.stderr).toBe(0);
        expect(await listed({ namespace: ns })).toEqual(['c3c3c3']);
        expect((await store.list(`hcp/${ns}/`)).length).toBe(4); // the one kept: snapshot, HostedCluster, its key, backup.json
        const deletes = proxy.log.filter((l) => l.startsWith('DELETE ') || l.endsWith('?delete'));
        const manifests = [ids['b2b2b2'], ids['a1a1a1']].map((id) => `DELETE /backups/hcp/${ns}/x/${id}/backup.json`);
        if (!refuse) {
          // backup.json alone first, then the other three keys of each backup in one request.
          expect(deletes).toEqual([manifests[0], 'POST /backups/?delete', manifests[1], 'POST /backups/?delete']);
          expect(r.stderr).not.toMatch(/DeleteObjects refused/);
          // Content-MD5, which every store takes on DeleteObjects, instead of the SDK's CRC32 (refused by MinIO, RGW before Squid).
          expect(proxy.checksums).toEqual(['content-md5 matches', 'content-md5 matches']);
        } else {
          expect(deletes.filter((l) => l.endsWith('?delete'))).toEqual(['POST /backups/?delete']); // asked once, then remembered
          expect(deletes.filter((l) => l.startsWith('DELETE '))).toHaveLength(8);
          expect(deletes[0]).toBe(manifests[0]);
          expect(r.stderr).toMatch(/DeleteObjects refused by s3:\/\/backups \(NotImplemented\): deleting one key at a time/);
        }
      }
    } finally {
      await proxy.stop();
    }
  });

  it('answers bad input with one line, exit 2 and a hint, before touching the bucket', async () => {
    const before = await everything();
    const cases: [string[], RegExp, RegExp][] = [
      [['--from', 's3://backups/hcp'], /^error: no retention rule: pass at least one of --keep-last/m, /^hint: e\.g\. --keep-last 7/m],
      [['--from', 's3://backups/hcp', '--keep-last', '0'], /no retention rule/, /newest backup of each cluster is always kept/],
      [['--from', 's3://backups/hcp', '--keep-last', '-1'], /invalid --keep-last "-1": a count cannot be negative/, /unlimited/],
      [['--from', 's3://backups/hcp', '--keep-within', '2w'], /invalid --keep-within "2w"/, /months/],
      [
        ['--from', 's3://backups/hcp', '--keep-last', '1', '--incomplete-grace', '5m'],
        /--incomplete-grace "5m": it must be between 1h and/,
        /running/,
      ],
      [['--from', 'https://backups/hcp', '--keep-last', '1'], /--from/, /s3:\/\//],
    ];
    for (const [argv, error, hint] of cases) {
      const r = await cli(s3('backup', 'prune', ...argv));
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(error);
      expect(r.stderr).toMatch(hint);
    }
    const missing = await cli(s3('backup', 'prune', '--from', 's3://no-such-bucket/x', '--keep-last', '1'));
    expect(missing.code).toBe(3);
    expect(await everything()).toEqual(before);
    const empty = await cli(s3('backup', 'prune', '--from', 's3://empty', '--keep-last', '1'));
    expect(empty).toMatchObject({ code: 0, stdout: '' });
    expect(empty.stderr).toMatch(/no backups found under s3:\/\/empty\//);
  });
});

/**
 * A pass-through proxy to the test server (Host header kept, so signatures hold) that logs each
 * request as "<METHOD> <path>[?delete]" and, when refuseBatch is set, answers DeleteObjects
 * with 501 NotImplemented, as a store without multi-object delete does.
 */
async function startDeleteProxy(upstream: string) {
  const target = new URL(upstream);
  const log: string[] = [];
  /** The checksum headers of each DeleteObjects request. */
  const checksums: string[] = [];
  const state = { refuseBatch: false };
  /** Requests answered so far, by method, path and body: a request sent again is not logged again. */
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const batch = req.method === 'POST' && url.searchParams.has('delete');
    const entry = `${req.method ?? ''} ${decodeURIComponent(url.pathname)}${batch ? '?delete' : ''}`;
    let body = '';
    // Logged once answered, and once per request: the SDK sends a request again after a 5xx or a cut
    // connection (seen on a loaded machine), and the same DeleteObjects twice is one batch, not two.
    res.on('finish', () => {
      if (seen.has(`${entry} ${body}`)) return;
      seen.add(`${entry} ${body}`);
      log.push(entry);
    });
    if (batch) {
      const names = Object.keys(req.headers).filter((h) => /^(content-md5|x-amz-checksum-|x-amz-sdk-checksum)/.test(h));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const md5 = createHash('md5').update(Buffer.concat(chunks)).digest('base64');
        body = md5;
        if (seen.has(`checksum ${md5}`)) return;
        seen.add(`checksum ${md5}`);
        checksums.push(names.map((h) => (h === 'content-md5' ? `${h} ${req.headers[h] === md5 ? 'matches' : 'differs'}` : h)).join(','));
      });
    }
    if (batch && state.refuseBatch) {
      req.resume();
      res.writeHead(501, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code><Message>no multi-object delete</Message></Error>',
      );
      return;
    }
    const up = http.request(
      // A new connection each time: a reused one the server has just closed would fail the request
      // and the SDK would send it again, a second entry in the log.
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    checksums,
    state,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The real store, whose batch deletes fail (`times` of them, every one by default; `onBatch` runs
 * first): a store that breaks after backup.json is gone, or a request cut by a signal.
 */
class FailingDeletes implements ObjectStore {
  readonly bucket: string;
  readonly #inner: ObjectStore;
  readonly #onBatch: (() => void) | undefined;
  #left: number;
  constructor(inner: ObjectStore, options: { onBatch?: () => void; times?: number } = {}) {
    this.#inner = inner;
    this.bucket = inner.bucket;
    this.#onBatch = options.onBatch;
    this.#left = options.times ?? Infinity;
  }
  url(key: string): string {
    return this.#inner.url(key);
  }
  put(...args: Parameters<ObjectStore['put']>): ReturnType<ObjectStore['put']> {
    return this.#inner.put(...args);
  }
  get(...args: Parameters<ObjectStore['get']>) {
    return this.#inner.get(...args);
  }
  head(key: string): Promise<StoredObject | undefined> {
    return this.#inner.head(key);
  }
  list(prefix: string): Promise<StoredObject[]> {
    return this.#inner.list(prefix);
  }
  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }
  deleteMany(keys: readonly string[]): Promise<void> {
    if (this.#left <= 0) return this.#inner.deleteMany ? this.#inner.deleteMany(keys) : Promise.reject(new Error('no deleteMany'));
    this.#left--;
    this.#onBatch?.();
    return Promise.reject(new RemoteError(`failed to delete ${this.url(keys[0] ?? '')}: connection reset (injected)`));
  }
  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.#inner.presignGet(key, expiresInSeconds);
  }
}
