/**
 * The etcd releases of the test world (test/sandbox/etcd/versions.ts, hypershift-domain.md §6): each
 * version's members and "image" (what the pods can run), HyperShift's etcd-init on each (the 3.6
 * branch through /usr/bin/etcdutl; the fixed flavour's --bump-revision/--mark-compacted where the tool
 * has them), and what the bump changes for a client that watched the old cluster.
 * A version that is not built (test/setup-etcd.sh) is skipped with that reason.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { parseEtcdJson } from '../sandbox/etcd/etcdctl.ts';
import { cleanEnv } from '../sandbox/etcd/process.ts';
import { etcdAvailable, etcdTools, ETCD_VERSIONS, type EtcdVersion } from '../sandbox/etcd/versions.ts';
import { ETCD_INIT_BUMP, runEtcdInit } from '../sandbox/hypershift/etcd-init.ts';

const NS = 'clusters-demo';
const clusters: EtcdCluster[] = [];
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
  for (const s of servers) s.close();
});

async function start(version: EtcdVersion, members = 1, bootstrap = true): Promise<EtcdCluster> {
  const c = await startEtcdCluster({ dir: tempClusterDir(`v${version}`), members, etcdVersion: version, bootstrap });
  clusters.push(c);
  return c;
}

async function exec(c: EtcdCluster, i: number, argv: string[]) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
  const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
  const code = await c.execInMember(i, argv, { stdout, stderr }, { requireRunning: false });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

async function revisionOf(c: EtcdCluster, i = 0): Promise<number> {
  const r = await c.etcdctl(['endpoint', 'status', '-w', 'json'], { endpoints: [i] });
  expect(r.code, r.stderr).toBe(0);
  return Number(parseEtcdJson<{ Status: { header: { revision: number } } }[]>(r.stdout)[0]!.Status.header.revision);
}

/** Serves one file over http on 127.0.0.1 (the pre-signed URL etcd-init downloads). */
async function serve(file: string): Promise<string> {
  const server = createServer((_req, res) => createReadStream(file).pipe(res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/snapshot.db`;
}

/** A snapshot of `c` (member 0) at its current revision, saved with the version's own etcdctl. */
async function snapshot(c: EtcdCluster, file: string): Promise<number> {
  const r = await c.etcdctl(['snapshot', 'save', file], { endpoints: [0] });
  expect(r.code, r.stderr).toBe(0);
  return revisionOf(c);
}

for (const version of ETCD_VERSIONS) {
  const built = etcdAvailable(version);
  describe.skipIf(!built)(`etcd ${version}${built ? '' : ' (not built: run test/setup-etcd.sh)'}`, () => {
    it('members run that server version, and its image holds what OpenShift’s etcd image holds', async () => {
      const c = await start(version);
      const status = await c.etcdctl(['endpoint', 'status', '-w', 'json']);
      expect(parseEtcdJson<{ Status: { version: string } }[]>(status.stdout)[0]!.Status.version).toMatch(
        new RegExp(`^${version.replace('.', '\\.')}\\.`),
      );
      expect((await exec(c, 0, ['etcd', '--version'])).stdout).toMatch(new RegExp(`etcd Version: ${version.replace('.', '\\.')}\\.`));
      const etcdutl = await exec(c, 0, ['sh', '-c', 'command -v etcdutl; [ -f /usr/bin/etcdutl ] && echo has-usr-bin-etcdutl; true']);
      const snapshotCommands = (await exec(c, 0, ['etcdctl', 'snapshot', '--help'])).stdout;
      if (version === '3.6') {
        expect(etcdutl.stdout).toMatch(/has-usr-bin-etcdutl/);
        expect((await exec(c, 0, ['etcdutl', 'version'])).stdout).toMatch(/etcdutl version: 3\.6\./);
        // 3.6's etcdctl only saves snapshots: status and restore moved to etcdutl.
        expect(snapshotCommands).toMatch(/\bsave\b/);
        expect(snapshotCommands).not.toMatch(/^\s*(restore|status)\b/m);
      } else {
        expect(etcdutl.stdout.trim()).toBe('');
        expect(snapshotCommands).toMatch(/^\s*restore\b/m);
        expect(snapshotCommands).toMatch(/^\s*status\b/m);
      }
    });

    it(`HyperShift's fixed etcd-init restores every member on ${version}, bumping the revision where the tool can`, async () => {
      const src = await start(version);
      await src.seed(50, { prefix: '/registry/things/' });
      const file = path.join(src.dir, 'snap.db');
      const snapRevision = await snapshot(src, file);
      const url = await serve(file);
      const target = await start(version, 3, false);
      for (let i = 0; i < 3; i++) {
        // On 3.6 this succeeds only through the /usr/bin/etcdutl branch: the image's etcdctl cannot restore (above).
        const run = await runEtcdInit(target, i, NS, url);
        expect(run.code, run.log).toBe(0);
        expect(run.log).toMatch(/restored snapshot into \/var\/lib\/data/);
      }
      for (let i = 0; i < 3; i++) await target.start(i, { wait: false });
      await target.waitHealthy();
      expect((await target.memberList()).length).toBe(3);
      const revision = await revisionOf(target);
      if (version === '3.4') {
        // etcdctl 3.4 has no --bump-revision: the revisions go back to the snapshot's.
        expect(revision).toBeGreaterThanOrEqual(snapRevision);
        expect(revision).toBeLessThan(snapRevision + ETCD_INIT_BUMP);
      } else {
        expect(revision).toBeGreaterThanOrEqual(snapRevision + ETCD_INIT_BUMP);
      }
      expect(await target.get('/registry/things/00000049')).toBe('v'.repeat(64));
    });
  });
}

/** `etcdctl watch --rev <rev> -w json` as a client that had listed at rev-1 and watches on. */
function watch(c: EtcdCluster, prefix: string, rev: number) {
  const child = spawn(
    c.tools.etcdctl,
    [...c.tlsFlags(), `--endpoints=${c.endpoint(0)}`, 'watch', prefix, '--prefix', `--rev=${rev}`, '-w', 'json'],
    { env: cleanEnv({ ETCDCTL_API: '3' }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    output: () => text,
    exited,
    until: async (re: RegExp) => {
      while (!re.test(text)) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return text;
    },
    stop: () => child.kill('SIGKILL'),
  };
}

/** Restores `file` into member 0 of a 1-member cluster (the version's etcdutl), with or without the bump, and restarts it. */
async function restoreInPlace(c: EtcdCluster, file: string, bump: boolean): Promise<void> {
  await c.kill(0);
  const m = c.member(0);
  await rm(m.dataDir, { recursive: true, force: true });
  const args = ['snapshot', 'restore', file, '--data-dir', m.dataDir, '--name', m.name];
  args.push('--initial-cluster', `${m.name}=${m.peerUrl}`, '--initial-advertise-peer-urls', m.peerUrl);
  if (bump) args.push('--bump-revision', String(ETCD_INIT_BUMP), '--mark-compacted');
  const code = await new Promise<number | null>((r) =>
    spawn(c.tools.etcdutl!, args, { env: cleanEnv(), stdio: 'ignore' }).once('exit', (x) => r(x)),
  );
  expect(code).toBe(0);
  await c.start(0);
}

const watchVersion: EtcdVersion | undefined = (['3.6', '3.5'] as const).find((v) => etcdAvailable(v));
describe.skipIf(!watchVersion)(`what the revision bump changes for a watcher (etcd ${watchVersion ?? 'none built'})`, () => {
  it.each([false, true])('restore with bump=%s', async (bump) => {
    const c = await start(watchVersion!);
    await c.put('/w/config', 'v1');
    const file = path.join(c.dir, 'snap.db');
    await snapshot(c, file);
    expect((await stat(file)).size).toBeGreaterThan(0);
    // After the snapshot the old cluster moves on; the watcher has seen everything up to `listed`.
    for (let k = 0; k < 20; k++) await c.put(`/w/later-${k}`, 'x');
    const listed = await revisionOf(c);
    await restoreInPlace(c, file, bump);
    // The restored cluster changes the object the watcher cares about.
    await c.put('/w/config', 'v2-after-restore');
    const w = watch(c, '/w/', listed + 1);
    try {
      if (!bump) {
        // Without the bump the revisions go back in time: the change got a revision the watcher thinks
        // it has seen. It is never delivered; the watch only wakes once the revision passes `listed`.
        while ((await revisionOf(c)) <= listed) await c.put('/w/filler', 'x');
        await c.put('/w/marker', 'm');
        const out = await w.until(/L3cvbWFya2Vy/); // base64("/w/marker")
        expect(out).toMatch(/L3cvbWFya2Vy/);
        expect(out).not.toMatch(/djItYWZ0ZXItcmVzdG9yZQ/); // base64("v2-after-restore"): silently missed
        expect(out).not.toMatch(/required revision has been compacted|"Canceled":true/);
      } else {
        // With it the watcher's next revision is below the compaction mark: the watch fails as compacted...
        const code = await w.exited;
        expect(w.output()).toMatch(/required revision has been compacted/);
        expect(code).not.toBe(0);
        // ...and a client re-lists, which shows the restored cluster's state.
        expect(await c.get('/w/config')).toBe('v2-after-restore');
        expect(await revisionOf(c)).toBeGreaterThan(listed + ETCD_INIT_BUMP - 100);
      }
    } finally {
      w.stop();
    }
  });
});

it('every version has its binaries where versions.ts says (or is reported as not built)', () => {
  for (const v of ETCD_VERSIONS) {
    if (etcdAvailable(v)) expect(etcdTools(v).etcd).toMatch(/etcd$/);
    else expect(() => etcdTools(v)).toThrow(/run test\/setup\.sh/);
  }
});
