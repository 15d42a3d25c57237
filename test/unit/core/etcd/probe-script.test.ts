/**
 * The probe script run by a real /bin/sh with a stand-in `etcdctl` on PATH (a shell script that
 * prints its arguments and fails or sleeps on request), and its records read back. The real etcdctl
 * against real members is in test/integration/etcd-gather.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd } from '../../../../src/core/model.ts';
import { caPathOf, parseProbeOutput, PROBE_CA, probeMarker, probeScript, type ProbeCall } from '../../../../src/core/etcd/probe-script.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'probe-script-'));
  // Prints "argv: <args>" (one line, or two with --two-lines), sleeps with --sleep=N, exits with --exit=N.
  const stand = [
    '#!/bin/sh',
    'code=0',
    'for a in "$@"; do case "$a" in --exit=*) code=${a#--exit=};; --sleep=*) sleep "${a#--sleep=}";; esac; done',
    'echo "argv: $*"',
    'case "$*" in *--two-lines*) echo "second line";; esac',
    'echo "on stderr" >&2',
    'exit "$code"',
  ].join('\n');
  writeFileSync(path.join(dir, 'etcdctl'), `${stand}\n`);
  chmodSync(path.join(dir, 'etcdctl'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runScript(script: string): { stdout: string; code: number | null } {
  const r = spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
  return { stdout: r.stdout, code: r.status };
}

const call = (name: string, ...args: string[]): ProbeCall => ({ name, endpoint: 'https://localhost:2379', args });

describe('probe script', () => {
  it("runs every call at once and gives each one's exit code and exact stdout, quoting included", () => {
    const marker = probeMarker();
    const calls = [
      call('slow', 'endpoint', 'status', '--sleep=0.3'),
      call('fails', 'alarm', 'list', '--exit=3'),
      call('quoted', "it's", '$HOME', '"x y"'),
      call('two', '--two-lines'),
    ];
    const run = runScript(probeScript(marker, calls, { caPath: Etcd.caPath }));
    expect(run.code).toBe(0);
    const answers = parseProbeOutput(run.stdout, marker);
    expect([...answers.keys()].sort()).toEqual(['fails', 'quoted', 'slow', 'two']);
    const tls = `--cacert=${Etcd.caPath} --cert=${Etcd.clientCert} --key=${Etcd.clientKey} --endpoints=https://localhost:2379 --dial-timeout=2s --command-timeout=3s`;
    expect(answers.get('slow')).toEqual({ exitCode: 0, stdout: `argv: ${tls} endpoint status --sleep=0.3` });
    expect(answers.get('fails')).toEqual({ exitCode: 3, stdout: `argv: ${tls} alarm list --exit=3` });
    expect(answers.get('quoted')?.stdout).toBe(`argv: ${tls} it's $HOME "x y"`);
    expect(answers.get('two')?.stdout).toBe(`argv: ${tls} --two-lines\nsecond line`);
    // The slow call printed last: the calls ran at once, not one after the other.
    expect(run.stdout.trimEnd().split('\n').at(-1)).toContain(' slow 0 ');
  });

  it('keeps an empty argument, and puts the CA it found wherever a whole command names PROBE_CA', () => {
    const marker = probeMarker();
    const calls: ProbeCall[] = [
      call('empty', 'get', '', '--prefix'),
      { name: 'cmd', endpoint: '', args: [], command: ['etcdctl', '--cacert', PROBE_CA, `--x=${PROBE_CA}.y`, ''] },
    ];
    const answers = parseProbeOutput(runScript(probeScript(marker, calls, { caPath: Etcd.caPath })).stdout, marker);
    expect(answers.get('empty')?.stdout).toMatch(/ get {2}--prefix$/);
    expect(answers.get('cmd')?.stdout).toBe(`argv: --cacert ${Etcd.caPath} --x=${Etcd.caPath}.y `);
  });

  it('without a known CA, it looks for one first and stops when the pod has none', () => {
    const marker = probeMarker();
    const run = runScript(probeScript(marker, [call('status', 'endpoint', 'status')]));
    const answers = parseProbeOutput(run.stdout, marker);
    // Neither HyperShift path exists on this machine.
    expect(caPathOf(answers)).toBeNull();
    expect(answers.has('status')).toBe(false);
  });

  it('refuses a call name that would break the record', () => {
    expect(() => probeScript(probeMarker(), [call('two words')])).toThrow(/bad probe call name/);
    expect(() => probeScript(probeMarker(), [call('tls')])).toThrow(/bad probe call name/);
  });
});

describe('probe records', () => {
  const M = 'hcp-dr-probe-0123456789ab';
  it("reads the pod's CA from the tls record", () => {
    expect(caPathOf(parseProbeOutput(`${M} tls 0 1 ${M}.end\n`, M))).toBe(Etcd.legacyCaPath);
    expect(caPathOf(parseProbeOutput(`${M} tls 0 0 ${M}.end\n`, M))).toBe(Etcd.caPath);
    expect(caPathOf(parseProbeOutput('', M))).toBeUndefined();
  });

  it('drops records that are cut, not at a line start, of another marker or with trailing bytes, and keeps the intact ones', () => {
    const other = 'hcp-dr-probe-ffffffffffff';
    const out = [
      `${M} a 0 {"x":1} ${M}.end`,
      `${M} b 0 {"half":`, // cut: the next end delimiter is c's, with c's start between
      `${M} c 1  ${M}.end`,
      `noise ${M} d 0 {} ${M}.end`,
      `${other} e 0 {} ${other}.end`,
      `${M} f 0 {} ${M}.endX`,
      `${M} g 0 [1,`,
    ].join('\n');
    const answers = parseProbeOutput(out, M);
    expect([...answers.keys()].sort()).toEqual(['a', 'c']);
    expect(answers.get('a')).toEqual({ exitCode: 0, stdout: '{"x":1}' });
    expect(answers.get('c')).toEqual({ exitCode: 1, stdout: '' });
  });
});
