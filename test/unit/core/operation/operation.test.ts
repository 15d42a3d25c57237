/**
 * The shared operation machinery: the record (lock, typed undo data), resume's dispatch on the
 * recorded type, and the wait every workflow uses. Against a stateful in-memory HostedCluster
 * store with resourceVersion checks and RFC 7386 merge patches.
 */
import { describe, expect, it } from 'vitest';
import { OperationInProgressError, PreconditionError, RemoteError } from '../../../../src/core/errors.ts';
import { Annotations, Resources, type KubeObject } from '../../../../src/core/model.ts';
import type { Clock } from '../../../../src/core/ports.ts';
import {
  acquireOperation,
  operationAnnotations,
  readOperation,
  releaseOperation,
  releaseQuiesceUndo,
  updateOperation,
  type BackupOperation,
} from '../../../../src/core/operation/record.ts';
import { resumeOperation, type ResumeDeps } from '../../../../src/core/operation/resume.ts';
import { waitUntil } from '../../../../src/core/controlplane/wait.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { hostedCluster } from '../../../support/fakes/objects.ts';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

function cluster(annotations: Record<string, string> = {}, pausedUntil?: string): FakeKube {
  const api = new FakeKube();
  api.put(Resources.hostedCluster, hostedCluster('demo', { metadata: { annotations }, spec: pausedUntil ? { pausedUntil } : {} }));
  return api;
}

const hcOf = async (api: FakeKube) => (await api.get(Resources.hostedCluster, 'clusters', 'demo')) as KubeObject;
const backupOp = (over: Partial<BackupOperation> = {}): BackupOperation => ({
  id: 'op-1',
  type: 'backup',
  startedAt: '2026-11-29T00:00:00Z',
  phase: 'started',
  toolVersion: '9.9.9',
  ...over,
});

describe('operation record', () => {
  it('records the lock and the quiesce undo data in one write, and reads it back typed', async () => {
    const api = cluster({}, '2026-12-01T00:00:00Z');
    await acquireOperation(api, await hcOf(api), backupOp(), { 'kube-apiserver': 3 });
    const record = readOperation(await hcOf(api));
    expect(record).toEqual({
      operation: backupOp(),
      previousPausedUntil: '2026-12-01T00:00:00Z',
      previousReplicas: { 'kube-apiserver': 3 },
    });
    await releaseQuiesceUndo(api, 'clusters', 'demo');
    expect(readOperation(await hcOf(api))).toEqual({ operation: backupOp(), previousPausedUntil: undefined, previousReplicas: undefined });
    await releaseOperation(api, 'clusters', 'demo');
    expect((await hcOf(api)).metadata.annotations).toEqual({});
  });

  it('records an absent pausedUntil as JSON null, and nothing of a pause without replicas', async () => {
    const api = cluster();
    await acquireOperation(api, await hcOf(api), backupOp(), {});
    expect((await hcOf(api)).metadata.annotations?.[Annotations.previousPausedUntil]).toBe('null');
    const bare = cluster();
    await acquireOperation(bare, await hcOf(bare), {
      id: 'r',
      type: 'restore',
      startedAt: 'now',
      phase: 'cluster-data',
      created: ['Secret clusters/x'],
    });
    expect(Object.keys((await hcOf(bare)).metadata.annotations ?? {})).toEqual([Annotations.operation]);
  });

  it('refuses a second operation of any type, naming the one in progress', async () => {
    const api = cluster();
    await acquireOperation(api, await hcOf(api), backupOp(), {});
    const second = acquireOperation(api, await hcOf(api), { id: 'op-2', type: 'restore', startedAt: 'now', phase: 'started' });
    await expect(second).rejects.toBeInstanceOf(OperationInProgressError);
    await expect(second).rejects.toThrow(/operation op-1 \(backup, started\)/);
  });

  it('loses a race on the resourceVersion to whoever wrote first', async () => {
    const api = cluster();
    const stale = await hcOf(api);
    await acquireOperation(api, await hcOf(api), backupOp({ id: 'winner' }), {});
    await expect(acquireOperation(api, stale, backupOp({ id: 'loser' }), {})).rejects.toThrow(/operation winner/);
    expect(readOperation(await hcOf(api))?.operation.id).toBe('winner');
  });

  it('keeps the phase and type fields through updates; operationAnnotations is what a created object carries', async () => {
    const api = cluster();
    const hc = await acquireOperation(api, await hcOf(api), backupOp(), {});
    await updateOperation(api, hc, backupOp({ phase: 'quiesced', member: 'etcd-1', snapshotPath: '/var/lib/x.db' }));
    expect(readOperation(await hcOf(api))?.operation).toMatchObject({ phase: 'quiesced', member: 'etcd-1', snapshotPath: '/var/lib/x.db' });
    const created = cluster(operationAnnotations(backupOp(), { previousPausedUntil: null, previousReplicas: { a: 1 } }));
    expect(readOperation(await hcOf(created))).toEqual({ operation: backupOp(), previousPausedUntil: null, previousReplicas: { a: 1 } });
  });

  it("retries a lock that lost only to a controller's status write, and still refuses a competing record", async () => {
    const api = cluster();
    const read = await hcOf(api);
    await api.mergePatch(Resources.hostedCluster, 'clusters', 'demo', { status: { version: 'bumped' } });
    await acquireOperation(api, read, backupOp({ id: 'after-status' }), { 'kube-apiserver': 2 });
    expect(readOperation(await hcOf(api))?.operation.id).toBe('after-status');
  });

  it("locks on a move's destination record too, and warns that the other run may still be active", async () => {
    const move = { id: 'mv-1', type: 'move', startedAt: 'then', phase: 'source-removed', source: { context: 'a' } };
    const api = cluster({ [Annotations.move]: JSON.stringify(move) });
    const second = acquireOperation(api, await hcOf(api), backupOp(), {});
    await expect(second).rejects.toBeInstanceOf(OperationInProgressError);
    await expect(second).rejects.toThrow(/operation mv-1 \(move, source-removed\)/);
    await expect(second).rejects.toMatchObject({
      hint: expect.stringMatching(/may still be active .*check first.*resume demo -n clusters/),
    });
  });

  it('names an online backup\'s snapshot phase as such, not "quiesced"', async () => {
    const api = cluster();
    const hc = await acquireOperation(api, await hcOf(api), backupOp(), {});
    await updateOperation(api, hc, backupOp({ phase: 'quiesced' }));
    await expect(acquireOperation(api, await hcOf(api), backupOp({ id: 'op-2' }), {})).rejects.toThrow(/\(backup, snapshotting, online\)/);
    const quiesced = cluster();
    const q = await acquireOperation(quiesced, await hcOf(quiesced), backupOp(), { 'kube-apiserver': 3 });
    await updateOperation(quiesced, q, backupOp({ phase: 'quiesced' }));
    await expect(acquireOperation(quiesced, await hcOf(quiesced), backupOp({ id: 'op-2' }), {})).rejects.toThrow(/\(backup, quiesced\)/);
  });

  it('refuses a record that is not JSON with a hint instead of guessing', () => {
    expect(() => readOperation({ metadata: { annotations: { [Annotations.operation]: '{oops' } } })).toThrow(PreconditionError);
    expect(() => readOperation({ metadata: { annotations: { [Annotations.operation]: '"text"' } } })).toThrow(/not an operation record/);
  });
});

describe('resume dispatch', () => {
  const deps = (api: FakeKube): ResumeDeps => ({
    api,
    exec: { exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }) },
    clock: fakeClock(),
    reporter: quiet,
  });

  it('with no record, does nothing and says so', async () => {
    const api = cluster();
    expect(await resumeOperation('clusters', 'demo', deps(api), {})).toEqual({
      namespace: 'clusters',
      name: 'demo',
      operation: null,
      actions: [],
    });
  });

  it('hands the typed record to the handler of its type', async () => {
    const api = cluster(operationAnnotations(backupOp({ phase: 'snapshotted', member: 'etcd-2' })));
    const result = await resumeOperation('clusters', 'demo', deps(api), {
      backup: async ({ record }) => ({
        namespace: 'clusters',
        name: 'demo',
        operation: record.operation.id,
        actions: [`member ${record.operation.member}`],
      }),
      restore: async () => {
        throw new Error('wrong handler');
      },
    });
    expect(result.actions).toEqual(['member etcd-2']);
  });

  it('refuses a type it has no handler for, naming the type and the version that wrote it, and leaves the record', async () => {
    const raw = JSON.stringify({ id: 'op-9', type: 'teleport', startedAt: 'x', phase: 'beamed', toolVersion: '3.0.0' });
    const api = cluster({ [Annotations.operation]: raw });
    const run = resumeOperation('clusters', 'demo', deps(api), {
      backup: async () => ({ namespace: '', name: '', operation: null, actions: [] }),
    });
    await expect(run).rejects.toBeInstanceOf(PreconditionError);
    await expect(run).rejects.toThrow('operation op-9 is of type "teleport", written by hcp-dr 3.0.0');
    expect((await hcOf(api)).metadata.annotations?.[Annotations.operation]).toBe(raw);
    const old = cluster(operationAnnotations({ id: 'op-3', type: 'move', startedAt: 'x', phase: 'started' }));
    await expect(resumeOperation('clusters', 'demo', deps(old), {})).rejects.toThrow(
      /type "move", written by an hcp-dr version that does not record its version/,
    );
  });
});

function fakeClock(): Clock & { slept: number } {
  let now = Date.parse('2026-11-29T00:00:00Z');
  const clock = {
    slept: 0,
    now: () => new Date(now),
    sleep: async (ms: number) => {
      now += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

describe('waitUntil', () => {
  it('returns at once when the state is reached, without sleeping', async () => {
    const clock = fakeClock();
    await waitUntil({ clock, reporter: quiet, timeoutMs: 1000 }, 'x', async () => true);
    expect(clock.slept).toBe(0);
  });

  it('times out on the injected clock with a one-line RemoteError', async () => {
    const clock = fakeClock();
    const wait = waitUntil({ clock, reporter: quiet, timeoutMs: 5000 }, 'deployments to scale', async () => false);
    await expect(wait).rejects.toBeInstanceOf(RemoteError);
    await expect(waitUntil({ clock, reporter: quiet, timeoutMs: 5000 }, 'deployments to scale', async () => false)).rejects.toThrow(
      'failed to wait for deployments to scale: still not there after 5s',
    );
    expect(clock.slept).toBeGreaterThan(5000);
  });

  it('stops as soon as the check throws', async () => {
    let attempts = 0;
    const wait = waitUntil(
      {
        clock: fakeClock(),
        reporter: quiet,
        timeoutMs: 60_000,
        check: async () => {
          if (attempts >= 3) throw new PreconditionError('record gone');
        },
      },
      'x',
      async () => (attempts++, false),
    );
    await expect(wait).rejects.toThrow('record gone');
    expect(attempts).toBe(3);
  });
});
