/**
 * The drill's in-pod scripts run by a real /bin/sh, with a stand-in `etcdctl` on PATH that
 * answers as etcdctl does (the pod's /var/lib is a temp dir here, as the sandbox's kubelet maps
 * it): the health poll and the one-exec reads, and how their answers are split.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { splitReads } from '../../../../src/core/drill/data.ts';
import { healthScript, READS, readsScript, receiveScript } from '../../../../src/core/drill/pod.ts';
import { pullScript } from '../../../../src/core/drill/pull.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-drill-sh-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
  it('keeps the bytes it was given and prints their count, then the snapshot status after STATUS', () => {
    fakeEtcdctl(`echo '{"hash":1,"revision":92,"totalKey":190,"totalSize":1}'`);
    const bytes = Buffer.from('x'.repeat(100_000));
    const r = runInPod(receiveScript(), bytes);
    expect(r.code, r.stderr).toBe(0);
    const [received, status] = r.stdout.split(/^STATUS$/m);
    expect(received).toMatch(/^RECEIVED\s+100000\s*$/m);
    expect(status).toMatch(/"revision":92/);
    expect(readFileSync(path.join(dir, 'var-lib', 'hcp-dr-drill', 'snapshot.db'))).toEqual(bytes);
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
    fakeEtcdctl(`echo '{"hash":1,"revision":92,"totalKey":190,"totalSize":1}'`);
    fakeCurl(`head -c 70000 /dev/zero | tr '\\0' 's'`);
    const url = 'url = "http://127.0.0.1:9/b/k?X-Amz-Signature=abc"\n';
    const r = runInPod(pullScript(), Buffer.from(url));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'curl-config'), 'utf8')).toBe(url);
    expect(readFileSync(path.join(dir, 'curl-args'), 'utf8')).not.toMatch(/Signature/);
    expect(r.stdout).toMatch(/^RECEIVED\s+70000\s*$/m);
    const expected = spawnSync('sh', ['-c', "head -c 70000 /dev/zero | tr '\\0' 's' | sha256sum"]).stdout.toString().slice(0, 64);
    expect(r.stdout).toMatch(new RegExp(`^SHA256 ${expected}$`, 'm'));
    expect(r.stdout.split(/^STATUS$/m)[1]).toMatch(/"revision":92/);
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
