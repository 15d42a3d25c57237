/**
 * The drill's in-pod scripts run by a real /bin/sh, with a stand-in `etcdctl` on PATH that
 * answers as etcdctl does (the pod's /var/lib is a temp dir here, as the sandbox's kubelet maps
 * it): the health poll and the one-exec reads, and how their answers are split.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { splitReads } from '../../../../src/core/drill/data.ts';
import { drillPod, healthScript, READS, readsScript, receiveScript, statusRestoreScript } from '../../../../src/core/drill/pod.ts';
import { pullScript } from '../../../../src/core/drill/pull.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-drill-sh-'));
});
/** Processes a test started, stopped after it whatever its outcome. */
const started: (() => void)[] = [];
afterEach(() => {
  for (const stop of started.splice(0)) stop();
  rmSync(dir, { recursive: true, force: true });
});
const quietly = (f: () => void) => () => {
  try {
    f();
  } catch {
    /* gone already */
  }
};

/** A stand-in etcdctl (and etcdutl): `script` is its sh body; it logs its arguments to $dir/calls. */
function fakeEtcdctl(script: string): void {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  for (const tool of ['etcdctl', 'etcdutl']) {
    const file = path.join(dir, 'bin', tool);
    writeFileSync(file, `#!/bin/sh\necho "$*" >> ${dir}/calls\n${script}\n`);
    chmodSync(file, 0o755);
  }
}

function runInPod(script: string, input?: Buffer) {
  const r = spawnSync('/bin/sh', ['-c', script.replaceAll('/var/lib', path.join(dir, 'var-lib'))], {
    env: { PATH: `${path.join(dir, 'bin')}:${process.env['PATH']}`, DIR: dir },
    ...(input ? { input } : {}),
  });
  return { code: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

const calls = () => readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');

describe('healthScript', () => {
  it('polls until the member answers healthy, keeping 200 ms attempts while the connection is refused', () => {
    fakeEtcdctl(`
n=$(wc -l < "$DIR/calls")
if [ "$n" -lt 4 ]; then
  echo '[{"endpoint":"http://127.0.0.1:2379","health":false,"error":"context deadline exceeded"}]'
  echo 'dial tcp 127.0.0.1:2379: connect: connection refused' >&2; exit 1
fi
echo '[{"endpoint":"http://127.0.0.1:2379","health":true,"took":"2ms"}]'`);
    const r = runInPod(healthScript(60));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ endpoint: 'http://127.0.0.1:2379', health: true, took: '2ms' }]);
    expect(calls()).toHaveLength(4);
    for (const c of calls()) expect(c).toMatch(/--command-timeout=200ms endpoint health -w json$/);
  });

  it('gives attempts that fail otherwise twice the time after five of them, so a slow member can answer', () => {
    fakeEtcdctl(`
n=$(wc -l < "$DIR/calls")
if [ "$n" -lt 8 ]; then echo '[{"health":false,"error":"context deadline exceeded"}]'; exit 1; fi
echo '[{"health":true}]'`);
    const r = runInPod(healthScript(60));
    expect(r.code, r.stderr).toBe(0);
    expect(calls().map((c) => /--command-timeout=(\d+)ms/.exec(c)?.[1])).toEqual(['200', '200', '200', '200', '200', '400', '800', '1600']);
  });

  it("with curl, waits on etcd's /health first, so `endpoint health` answers at its first attempt", () => {
    fakeEtcdctl(`echo '[{"endpoint":"http://127.0.0.1:2379","health":true,"took":"2ms"}]'`);
    // Refused twice, then no leader (503), then healthy: what etcd answers while it opens its data.
    writeFileSync(
      path.join(dir, 'bin', 'curl'),
      `#!/bin/sh
echo "$*" >> "$DIR/curl-calls"
case $(wc -l < "$DIR/curl-calls") in
  1|2) echo 'curl: (7) Failed to connect to 127.0.0.1 port 2379: Connection refused' >&2; exit 7 ;;
  3) echo '{"health":"false","reason":"RAFT NO LEADER"}'; exit 0 ;;
  *) echo '{"health":"true","reason":""}' ;;
esac\n`,
    );
    chmodSync(path.join(dir, 'bin', 'curl'), 0o755);
    const r = runInPod(healthScript(60, { curl: true }));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ endpoint: 'http://127.0.0.1:2379', health: true, took: '2ms' }]);
    const curls = readFileSync(path.join(dir, 'curl-calls'), 'utf8').trim().split('\n');
    expect(curls).toHaveLength(4);
    for (const c of curls) expect(c).toMatch(/ http:\/\/127\.0\.0\.1:2379\/health$/);
    expect(calls()).toHaveLength(1);
  });

  it('with curl, still gives up after the timeout when /health never answers healthy, with endpoint health as the answer', () => {
    fakeEtcdctl(`echo '[{"health":false,"error":"etcdserver: no leader"}]'; echo 'Error: unhealthy cluster' >&2; exit 1`);
    writeFileSync(path.join(dir, 'bin', 'curl'), `#!/bin/sh\necho '{"health":"false","reason":"RAFT NO LEADER"}'\n`);
    chmodSync(path.join(dir, 'bin', 'curl'), 0o755);
    const r = runInPod(healthScript(1, { curl: true }));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([{ health: false, error: 'etcdserver: no leader' }]);
    expect(r.stderr).toMatch(/unhealthy cluster/);
  });

  it('gives up after the timeout with exit 1, printing the last answer and its stderr', () => {
    fakeEtcdctl(`echo '[{"health":false,"error":"etcdserver: no leader"}]'; echo 'Error: unhealthy cluster' >&2; exit 1`);
    const r = runInPod(healthScript(1));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([{ health: false, error: 'etcdserver: no leader' }]);
    expect(r.stderr).toMatch(/unhealthy cluster/);
  });
});

describe('readsScript and splitReads', () => {
  it('answers every read in its own section, with its exit code, stdout and stderr, whatever the values hold', () => {
    const marker = '@@hcp-dr-0123456789abcdef@@';
    // A key that imitates a section line (without the run's marker) stays data.
    fakeEtcdctl(`
case "$*" in
  *'endpoint status'*) echo '[{"Status":{"header":{"revision":92}}}]' ;;
  *'endpoint hashkv'*) echo 'hashkv failed' >&2; exit 2 ;;
  *'--keys-only'*) printf '/registry/secrets/a\\n\\n@@hcp-dr-x@@ keys 0\\n\\n' ;;
  *) echo '{"kvs":[]}' ;;
esac`);
    const reads = { ...READS, secrets0: ['get', '/registry/secrets/', '--prefix', '--limit=20', '-w', 'json'] };
    const r = runInPod(readsScript(marker, reads));
    expect(r.code, r.stderr).toBe(0);
    const answers = splitReads(r.stdout, marker);
    expect(Object.keys(answers).sort()).toEqual(['hashkv', 'keys', 'secrets0', 'status']);
    expect(answers['status']).toEqual({ exitCode: 0, stdout: '[{"Status":{"header":{"revision":92}}}]\n', stderr: '' });
    expect(answers['hashkv']).toEqual({ exitCode: 2, stdout: '', stderr: 'hashkv failed\n' });
    expect(answers['keys']!.stdout).toBe('/registry/secrets/a\n\n@@hcp-dr-x@@ keys 0\n\n');
    expect(answers['secrets0']!.stdout).toBe('{"kvs":[]}\n');
    // Each read ran once, against the pod's own etcd.
    expect(calls()).toHaveLength(4);
    for (const c of calls()) expect(c).toMatch(/^--endpoints=http:\/\/127\.0\.0\.1:2379 --command-timeout=30s /);
  });

  it('a read whose exit code is missing (killed) is answered as failed, not merged into another', () => {
    const out = 'M status \n[]\n\nM status stderr\nkilled\nM keys 0\n/a\n\nM keys stderr\n';
    expect(splitReads(out, 'M')).toEqual({
      status: { exitCode: -1, stdout: '[]\n', stderr: 'killed\n' },
      keys: { exitCode: 0, stdout: '/a\n', stderr: '' },
    });
  });
});

describe('receiveScript', () => {
  it('keeps the bytes it was given and prints their count', () => {
    const bytes = Buffer.from('x'.repeat(100_000));
    const r = runInPod(receiveScript(), bytes);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^RECEIVED\s+100000\s*$/m);
    expect(readFileSync(path.join(dir, 'var-lib', 'hcp-dr-drill', 'snapshot.db'))).toEqual(bytes);
  });
});

describe('the drill pod', () => {
  it('waits for the marker and, woken by the restore, runs etcd single-member with short raft timings', async () => {
    fakeEtcdctl(':');
    const bin = path.join(dir, 'bin');
    writeFileSync(path.join(bin, 'etcd'), `#!/bin/sh\necho "etcd $*"\n`);
    // Its poll sleeps far longer than the test: only the restore's signal can wake it.
    writeFileSync(path.join(bin, 'sleep'), `#!/bin/sh\necho $$ >> "$DIR/sleeps"; exec /bin/sleep 600\n`);
    for (const t of ['etcd', 'sleep']) chmodSync(path.join(bin, t), 0o755);
    const command = (drillPod('ns', 'etcd:3.6', 'drill-1')['spec'] as { containers: { command: string[] }[] }).containers[0]!.command;
    const pod = spawn(command[0]!, [command[1]!, command[2]!.replaceAll('/var/lib', path.join(dir, 'var-lib'))], {
      env: { PATH: `${bin}:${process.env['PATH']}`, DIR: dir },
    });
    started.push(
      quietly(() => pod.kill()),
      quietly(() => {
        for (const pid of readFileSync(path.join(dir, 'sleeps'), 'utf8').trim().split('\n')) process.kill(Number(pid));
      }),
    );
    let out = '';
    pod.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => pod.on('exit', resolve));
    while (!existsSync(path.join(dir, 'sleeps'))) await new Promise((r) => setTimeout(r, 20));
    expect(out).toBe('');
    writeFileSync(path.join(dir, 'var-lib', 'hcp-dr-drill', 'snapshot.db'), 'snap');
    expect(runInPod(statusRestoreScript(true)).code).toBe(0);
    expect(await exited).toBe(0);
    expect(out).toMatch(/^etcd --name=drill .*--heartbeat-interval=10 --election-timeout=100$/m);
    // etcd is no longer the shell a later signal was meant for.
    expect(existsSync(path.join(dir, 'var-lib', 'hcp-dr-drill', 'waiter.pid'))).toBe(false);
  }, 10_000);
});

describe('statusRestoreScript', () => {
  const drillDir = () => path.join(dir, 'var-lib', 'hcp-dr-drill');
  const withSnapshot = () => {
    mkdirSync(drillDir(), { recursive: true });
    writeFileSync(path.join(drillDir(), 'snapshot.db'), 'snap');
  };
  /** A stand-in etcdutl: status answers after restore has started (so they overlap), restore as `restore` says. */
  const tools = (restore: string) =>
    fakeEtcdctl(`
case "$*" in
  *'snapshot status'*)
    n=0; while [ ! -e "$DIR/restoring" ]; do n=$((n + 1)); [ "$n" -lt 1000 ] || { echo 'restore never started' >&2; exit 9; }; sleep 0.01; done
    echo '{"hash":1,"revision":92,"totalKey":190,"totalSize":1}'; echo 'status log' >&2 ;;
  *'snapshot restore'*) touch "$DIR/restoring"; ${restore} ;;
esac`);

  it('reads the snapshot while it restores, then leaves the marker and wakes the waiting pod', async () => {
    withSnapshot();
    tools(':');
    // The pod's waiting shell, as a process that records the signal it gets; its PID file once it can take it.
    const pidFile = path.join(drillDir(), 'waiter.pid');
    const waiter = spawn(
      '/bin/sh',
      ['-c', `trap 'echo woken > "$DIR/woken"; exit 0' USR1; echo $$ > "${pidFile}"; while :; do sleep 0.05; done`],
      { env: { DIR: dir } },
    );
    started.push(quietly(() => waiter.kill()));
    const exited = new Promise((resolve) => waiter.on('exit', resolve));
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 20));
    const r = runInPod(statusRestoreScript(true));
    expect(r.code, r.stderr).toBe(0);
    const [, section] = r.stdout.split(/^STATUS$/m);
    expect(section).toMatch(/"revision":92/);
    expect(section!.split(/^STATUS-STDERR$/m)[1]).toMatch(/status log/);
    expect(calls().filter((c) => /snapshot (status|restore)/.test(c))).toHaveLength(2);
    expect(existsSync(path.join(drillDir(), 'start'))).toBe(true);
    expect(existsSync(path.join(drillDir(), 'snapshot.db'))).toBe(false);
    expect(await exited).toBe(0);
    expect(readFileSync(path.join(dir, 'woken'), 'utf8')).toBe('woken\n');
  }, 10_000);

  it("exits with restore's exit code, the reading printed, and leaves no marker when restore fails", () => {
    withSnapshot();
    tools(`echo 'snapshot file integrity check failed' >&2; exit 3`);
    const r = runInPod(statusRestoreScript(true));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/integrity check failed\n$/);
    expect(r.stdout.split(/^STATUS$/m)[1]).toMatch(/"revision":92/);
    expect(existsSync(path.join(drillDir(), 'start'))).toBe(false);
  });

  it('without restore only reads the snapshot, and says when etcd cannot', () => {
    withSnapshot();
    fakeEtcdctl(`echo 'snapshot file has wrong size' >&2; exit 1`);
    const r = runInPod(statusRestoreScript(false));
    expect(r.code, r.stderr).toBe(0);
    const [, section] = r.stdout.split(/^STATUS$/m);
    const [out, err] = section!.split(/^STATUS-STDERR$/m);
    expect(out).toMatch(/^STATUS-FAILED 1$/m);
    expect(err).toMatch(/wrong size/);
    expect(calls()).toEqual([expect.stringMatching(/^snapshot status /)]);
    expect(existsSync(path.join(drillDir(), 'data'))).toBe(false);
  });
});

describe('pullScript', () => {
  /** A stand-in curl: keeps the config it read on stdin, then answers as `script` says. */
  function fakeCurl(script: string): void {
    mkdirSync(path.join(dir, 'bin'), { recursive: true });
    const file = path.join(dir, 'bin', 'curl');
    writeFileSync(file, `#!/bin/sh\ncat > ${dir}/curl-config\necho "$*" > ${dir}/curl-args\n${script}\n`);
    chmodSync(file, 0o755);
  }

  it('fetches with the URL from stdin (not its arguments), hashing the bytes as they are written', () => {
    fakeCurl(`head -c 70000 /dev/zero | tr '\\0' 's'`);
    const url = 'url = "http://127.0.0.1:9/b/k?X-Amz-Signature=abc"\n';
    const r = runInPod(pullScript(), Buffer.from(url));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'curl-config'), 'utf8')).toBe(url);
    expect(readFileSync(path.join(dir, 'curl-args'), 'utf8')).not.toMatch(/Signature/);
    expect(r.stdout).toMatch(/^RECEIVED\s+70000\s*$/m);
    const expected = spawnSync('sh', ['-c', "head -c 70000 /dev/zero | tr '\\0' 's' | sha256sum"]).stdout.toString().slice(0, 64);
    expect(r.stdout).toMatch(new RegExp(`^SHA256 ${expected}$`, 'm'));
  });

  it('hashes with sha256sum where the image has no openssl', () => {
    fakeCurl(`printf 'snapshot bytes'`);
    // A PATH of only the tools the script needs: no openssl.
    for (const tool of ['sh', 'mkdir', 'rm', 'tee', 'sha256sum', 'mv', 'wc', 'cut', 'cat'])
      symlinkSync(
        spawnSync('sh', ['-c', `command -v ${tool}`])
          .stdout.toString()
          .trim(),
        path.join(dir, 'bin', tool),
      );
    const r = spawnSync('/bin/sh', ['-c', pullScript().replaceAll('/var/lib', path.join(dir, 'var-lib'))], {
      env: { PATH: path.join(dir, 'bin') },
      input: 'url = "http://127.0.0.1:9/x"\n',
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    const expected = spawnSync('sh', ['-c', "printf 'snapshot bytes' | sha256sum"]).stdout.toString().slice(0, 64);
    expect(r.stdout.toString()).toMatch(new RegExp(`^SHA256 ${expected}$`, 'm'));
  });

  it('says it cannot when curl fails (a refused URL, an unreachable store), leaving no part file', () => {
    fakeCurl(`echo partial; exit 22`);
    const r = runInPod(pullScript(), Buffer.from('url = "http://127.0.0.1:9/x"\n'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^PULL-UNAVAILABLE curl exit 22$/m);
    expect(r.stdout).not.toMatch(/RECEIVED|STATUS/);
    expect(spawnSync('ls', [path.join(dir, 'var-lib', 'hcp-dr-drill')]).stdout.toString()).toBe('');
  });
});
