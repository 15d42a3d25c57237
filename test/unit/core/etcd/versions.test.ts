import { describe, expect, it } from 'vitest';
import { PreconditionError } from '../../../../src/core/errors.ts';
import { versionFacts } from '../../../../src/core/etcd/status.ts';
import { checkSnapshotVersion, etcdOfRelease, minorOf, newerMinor, runningEtcdVersion } from '../../../../src/core/etcd/versions.ts';
import type { ExecRequest, ExecResult, PodExec } from '../../../../src/core/ports.ts';

describe('etcd version facts', () => {
  it('reads the minor of server, tool and etcd --version strings', () => {
    expect(minorOf('3.6.17')).toEqual([3, 6]);
    expect(minorOf('etcd Version: 3.4.23')).toEqual([3, 4]);
    expect(minorOf('')).toBeUndefined();
    expect(newerMinor('3.6.0', '3.5.36')).toBe(true);
    expect(newerMinor('3.5.36', '3.5.0')).toBe(false);
    expect(newerMinor('3.5.36', '3.6.1')).toBe(false);
    expect(newerMinor(undefined, '3.5.1')).toBe(false);
  });

  it('maps an OpenShift release tag to its etcd minor (3.5 up to 4.20, 3.6 from 4.21); a digest is unknown', () => {
    expect(etcdOfRelease('quay.io/openshift-release-dev/ocp-release:4.19.3-x86_64')).toBe('3.5');
    expect(etcdOfRelease('quay.io/openshift-release-dev/ocp-release:4.20.9-multi')).toBe('3.5');
    expect(etcdOfRelease('quay.io/openshift-release-dev/ocp-release:4.21.0-x86_64')).toBe('3.6');
    expect(etcdOfRelease('quay.io/openshift-release-dev/ocp-release@sha256:abc')).toBeUndefined();
  });

  it('refuses a snapshot of a newer minor before any change, with the --force retry in the hint', () => {
    const c = {
      snapshotVersion: '3.6.17',
      targetVersion: '3.5.36',
      targetSource: 'etcd-0',
      force: false,
      command: '{cmd} etcd restore demo',
    };
    let err: unknown;
    try {
      checkSnapshotVersion(c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(/snapshot was taken on etcd 3\.6\.17, newer than the target's etcd 3\.5\.36/);
    expect((err as PreconditionError).hint).toMatch(/\{cmd\} etcd restore demo --force \(nothing was changed\)/);
    expect(checkSnapshotVersion({ ...c, force: true })[0]).toMatch(/restored anyway \(--force\)/);
    expect(checkSnapshotVersion({ ...c, snapshotVersion: '3.5.1' })).toEqual([]);
    expect(checkSnapshotVersion({ ...c, snapshotVersion: '3.4.23' })).toEqual([]);
    expect(checkSnapshotVersion({ ...c, snapshotVersion: undefined })).toEqual([]);
    expect(checkSnapshotVersion({ ...c, targetVersion: undefined })[0]).toMatch(/target's etcd version is unknown/);
  });

  it('etcd status warns when members run different versions, and only then', () => {
    const one = versionFacts([
      { name: 'etcd-0', version: '3.6.17' },
      { name: 'etcd-1', version: '3.6.17' },
      { name: 'etcd-2', version: undefined },
    ]);
    expect(one).toEqual({ versions: ['3.6.17'], warnings: [] });
    const mixed = versionFacts([
      { name: 'etcd-2', version: '3.5.36' },
      { name: 'etcd-0', version: '3.6.17' },
      { name: 'etcd-1', version: '3.5.36' },
    ]);
    expect(mixed.versions).toEqual(['3.6.17', '3.5.36']);
    expect(mixed.warnings).toEqual([
      'members run different etcd versions: 3.6.17 (etcd-0), 3.5.36 (etcd-1, etcd-2); expected only while the etcd StatefulSet rolls out a new image',
    ]);
    expect(
      versionFacts([
        { name: 'a', version: '3.5.9' },
        { name: 'b', version: '3.5.10' },
      ]).versions,
    ).toEqual(['3.5.10', '3.5.9']);
  });
});

/** A pod exec whose answers per pod are scripted: an Error is thrown (the exec failed), a result is returned. */
function scriptedExec(answers: Record<string, (Error | ExecResult)[]>): PodExec & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    exec(request: ExecRequest) {
      calls.push(request.pod);
      const next = answers[request.pod]?.shift() ?? new Error(`no pod ${request.pod}`);
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
  };
}
const version = (v: string): ExecResult => ({ exitCode: 0, stdout: `etcd Version: ${v}\nGit SHA: x\n`, stderr: '' });

describe('the running etcd version', () => {
  it('asks again when the exec fails (a busy API server): the refusal before any change depends on this answer', async () => {
    const exec = scriptedExec({ 'etcd-0': [new Error('stream reset'), new Error('timeout'), version('3.5.21')] });
    expect(await runningEtcdVersion(exec, 'clusters-demo', 3)).toBe('3.5.21');
    expect(exec.calls).toEqual(['etcd-0', 'etcd-0', 'etcd-0']);
  });
  it('moves to the next pod after three failed execs, or at once when the pod answered without a version', async () => {
    const exec = scriptedExec({
      'etcd-0': [new Error('1'), new Error('2'), new Error('3')],
      'etcd-1': [{ exitCode: 1, stdout: '', stderr: 'container not running' }],
      'etcd-2': [version('3.6.4')],
    });
    expect(await runningEtcdVersion(exec, 'clusters-demo', 3)).toBe('3.6.4');
    expect(exec.calls).toEqual(['etcd-0', 'etcd-0', 'etcd-0', 'etcd-1', 'etcd-2']);
  });
  it('is unknown when no pod answers', async () => {
    const exec = scriptedExec({});
    expect(await runningEtcdVersion(exec, 'clusters-demo', 1)).toBeUndefined();
    expect(exec.calls).toHaveLength(3);
  });
});
