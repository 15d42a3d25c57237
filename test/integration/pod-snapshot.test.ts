/**
 * The snapshot file in an etcd pod, over a real etcd member (the exec bridge runs each command "in"
 * its pod): the combined calls an online backup makes (save and status in one exec; read and remove
 * in one exec) give what the separate calls give, in one exec each, with the separate calls' errors;
 * a PodExec that answers 127 to /bin/sh stands for an image without a shell, where they fall back.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  removeSnapshot,
  saveAndCheckSnapshot,
  saveSnapshot,
  snapshotStatus,
  streamAndRemoveSnapshot,
  streamSnapshot,
  type PodRef,
} from '../../src/core/etcd/pod-snapshot.ts';
import { Etcd } from '../../src/core/model.ts';
import type { ExecRequest, ExecResult, PodExec } from '../../src/core/ports.ts';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';

const NS = 'clusters-demo';
const TLS = { caPath: Etcd.caPath };

/** Exec into member 0, recording each command; `noShell` answers /bin/sh as an image without it does. */
class MemberExec implements PodExec {
  readonly calls: string[][] = [];
  noShell = false;
  readonly cluster: EtcdCluster;
  constructor(cluster: EtcdCluster) {
    this.cluster = cluster;
  }
  async exec(req: ExecRequest): Promise<ExecResult> {
    this.calls.push(req.command);
    if (this.noShell && req.command[0] === '/bin/sh')
      return { exitCode: 127, stdout: '', stderr: 'exec: "/bin/sh": executable file not found in $PATH' };
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = req.stdout ?? new PassThrough().on('data', (d: Buffer) => out.push(d));
    const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
    const exitCode = await this.cluster.execInMember(0, req.command, { stdout, stderr, namespace: NS });
    return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }
}

/** A sink that hashes what it is given. */
function hashingSink(): { sink: Writable; sha256: () => string } {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done();
    },
  });
  return { sink, sha256: () => hash.digest('hex') };
}

/** The error `work` rejects with; fails the test when it resolves. */
async function failure(work: Promise<unknown>): Promise<Error> {
  const outcome = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof Error)) throw new Error(`expected a rejection, got ${String(outcome)}`);
  return outcome;
}

let cluster: EtcdCluster;
let n = 0;
const nextPath = () => `/var/lib/hcp-dr-pod-snapshot-test-${++n}.db`;
const exists = async (path: string) =>
  (await new MemberExec(cluster).exec({ namespace: NS, pod: 'etcd-0', container: 'etcd', command: ['test', '-e', path] })).exitCode === 0;
const refOf = (exec: PodExec): PodRef => ({ exec, namespace: NS, pod: 'etcd-0' });

beforeAll(async () => {
  cluster = await startEtcdCluster({ dir: tempClusterDir('pod-snapshot'), members: 1 });
  await cluster.seed(20);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('saveAndCheckSnapshot', () => {
  it('saves the file and answers its status in one exec: the status snapshotStatus reads of the same file', async () => {
    const path = nextPath();
    const exec = new MemberExec(cluster);
    try {
      const status = await saveAndCheckSnapshot(refOf(exec), TLS, path);
      expect(exec.calls.map((c) => c[0])).toEqual(['/bin/sh']);
      expect(status.revision).toBeGreaterThan(0);
      expect(status.totalKey).toBeGreaterThan(0);
      expect(await snapshotStatus(refOf(new MemberExec(cluster)), TLS, path)).toEqual(status);
    } finally {
      await removeSnapshot(refOf(exec), path);
    }
  });

  it('without /bin/sh: the separate calls (save, then status with its own fallback), the same status', async () => {
    const path = nextPath();
    const exec = new MemberExec(cluster);
    exec.noShell = true;
    try {
      const status = await saveAndCheckSnapshot(refOf(exec), TLS, path);
      expect(exec.calls.map((c) => c[0])).toEqual([
        '/bin/sh',
        'etcdctl',
        '/bin/sh',
        'test',
        cluster.version === '3.6' ? 'etcdutl' : 'etcdctl',
      ]);
      expect(await snapshotStatus(refOf(new MemberExec(cluster)), TLS, path)).toEqual(status);
    } finally {
      await removeSnapshot(refOf(new MemberExec(cluster)), path);
    }
  });

  it("a save that fails is saveSnapshot's error, and no status is asked", async () => {
    const path = '/var/lib/no-such-dir/hcp-dr-x.db';
    const combined = await failure(saveAndCheckSnapshot(refOf(new MemberExec(cluster)), TLS, path));
    const alone = await failure(saveSnapshot(refOf(new MemberExec(cluster)), TLS, path));
    expect(combined.message).toMatch(/^failed to save an etcd snapshot in pod "etcd-0": /);
    expect(combined.message.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, '')).toBe(alone.message.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z?/g, ''));
  });
});

describe('streamAndRemoveSnapshot', () => {
  it('streams the bytes streamSnapshot streams, then the file is gone: one exec', async () => {
    const path = nextPath();
    await saveSnapshot(refOf(new MemberExec(cluster)), TLS, path);
    const plain = hashingSink();
    await streamSnapshot(refOf(new MemberExec(cluster)), path, plain.sink);
    const exec = new MemberExec(cluster);
    const read = hashingSink();
    expect(await streamAndRemoveSnapshot(refOf(exec), path, read.sink)).toEqual({ removed: true });
    expect(exec.calls).toHaveLength(1);
    expect(read.sha256()).toBe(plain.sha256());
    expect(await exists(path)).toBe(false);
  });

  it("a file that cannot be read is streamSnapshot's error", async () => {
    const path = nextPath();
    const combined = await failure(streamAndRemoveSnapshot(refOf(new MemberExec(cluster)), path, hashingSink().sink));
    const alone = await failure(streamSnapshot(refOf(new MemberExec(cluster)), path, hashingSink().sink));
    expect(combined.message).toBe(alone.message);
    expect(combined.message).toMatch(/^failed to read \/var\/lib\/hcp-dr-pod-snapshot-test-\d+\.db from pod "etcd-0": .*No such file/);
  });

  it('without /bin/sh: a plain cat streams the same bytes and the file stays for removeSnapshot (removed: false)', async () => {
    const path = nextPath();
    await saveSnapshot(refOf(new MemberExec(cluster)), TLS, path);
    try {
      const plain = hashingSink();
      await streamSnapshot(refOf(new MemberExec(cluster)), path, plain.sink);
      const exec = new MemberExec(cluster);
      exec.noShell = true;
      const read = hashingSink();
      expect(await streamAndRemoveSnapshot(refOf(exec), path, read.sink)).toEqual({ removed: false });
      expect(exec.calls.map((c) => c[0])).toEqual(['/bin/sh', 'cat']);
      expect(read.sha256()).toBe(plain.sha256());
      expect(await exists(path)).toBe(true);
    } finally {
      await removeSnapshot(refOf(new MemberExec(cluster)), path);
    }
  });
});
