/**
 * `move` on the operation runner (src/core/move/phases.ts, store.ts, failures.ts): the phases are
 * the record's, the point of no return is the DNS hand-off, the record lives on two clusters (the
 * destination only from the restore on), and failures keep the move's wording and continuation.
 */
import { describe, expect, it } from 'vitest';
import { InterruptedError, PartialFailureError } from '../../../../src/core/errors.ts';
import { Annotations, Resources, type KubeObject } from '../../../../src/core/model.ts';
import { OperationPhases, readMoveAnnotation, readOperation, type MoveOperation } from '../../../../src/core/operation/record.ts';
import { moveStep, moveWorkflow } from '../../../../src/core/move/phases.ts';
import { isBeforeHandOff } from '../../../../src/core/move/records.ts';
import { moveStore } from '../../../../src/core/move/store.ts';
import { moveRunFailure } from '../../../../src/core/move/failures.ts';
import type { MoveState } from '../../../../src/core/move/state.ts';
import type { KubeApi } from '../../../../src/core/ports.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';

const op: MoveOperation = {
  id: 'mv1',
  type: 'move',
  startedAt: '2026-12-07T06:00:00Z',
  phase: 'started',
  source: { context: 'mgmt1' },
  destination: { context: 'mgmt2' },
};
const hc = (annotations: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'hypershift.openshift.io/v1beta1',
  kind: 'HostedCluster',
  metadata: { namespace: 'clusters', name: 'demo', annotations },
  spec: { pausedUntil: '2026-12-07T07:00:00Z' },
});
const onHc = async (api: KubeApi) => (await api.get(Resources.hostedCluster, 'clusters', 'demo'))!;

/** A destination that must not be read: a rollback before the restore needs only the source. */
class Unreachable extends FakeKube {
  override get(): Promise<KubeObject | undefined> {
    return Promise.reject(new Error('the destination was read'));
  }
}

const sides = (source: KubeApi, destination: KubeApi) => ({
  namespace: 'clusters',
  name: 'demo',
  source: { api: source, exec: undefined as never },
  destination: { api: destination, exec: undefined as never },
});

describe('the move workflow', () => {
  it('has the record’s phases, one undo (on frozen, covering the backup) and the DNS hand-off as its point of no return', () => {
    expect(['started', ...moveWorkflow.changes.map((p) => p.name)]).toEqual([...OperationPhases.move]);
    expect(moveWorkflow.checks.map((c) => c.name)).toEqual(['preflight', 'confirm']);
    expect(moveWorkflow.changes[moveWorkflow.pointOfNoReturn]?.name).toBe('dns-handoff');
    expect(moveWorkflow.changes.filter((p) => p.undo !== undefined).map((p) => p.name)).toEqual(['frozen']);
    for (const [i, phase] of OperationPhases.move.entries())
      expect(isBeforeHandOff(phase), phase).toBe(i - 1 < moveWorkflow.pointOfNoReturn);
  });

  it('reports the runner’s marks under the move’s step names: the lock and the phases before the hand-off only', () => {
    const seen: string[] = [];
    const step = moveStep((n) => seen.push(n))!;
    for (const n of ['locked', 'frozen', 'backed-up', 'dns-handoff', 'restoring', 'verified', 'tearing-down', 'source-removed']) step(n);
    expect(seen).toEqual(['locked', 'frozen', 'backed-up']);
    expect(moveStep(undefined)).toBeUndefined();
  });
});

describe('the move store (a record on two clusters)', () => {
  it('locks the source with the freeze’s undo data and, before the restore, never reads the destination', async () => {
    const source = new FakeKube('source');
    source.put(Resources.hostedCluster, hc());
    const store = moveStore(sides(source, new Unreachable('destination')), () => ({
      hc: hc(),
      previousReplicas: { 'kube-apiserver': 3 },
    }));
    const fresh = await onHc(source);
    await moveStore(sides(source, new Unreachable()), () => ({ hc: fresh, previousReplicas: { 'kube-apiserver': 3 } })).acquire(op);
    expect(readOperation(await onHc(source))).toMatchObject({
      operation: { id: 'mv1', phase: 'started' },
      previousPausedUntil: '2026-12-07T07:00:00Z',
      previousReplicas: { 'kube-apiserver': 3 },
    });
    await store.write({ ...op, phase: 'backed-up' });
    expect(readOperation(await onHc(source))?.operation.phase).toBe('backed-up');
    await store.release();
    expect((await onHc(source)).metadata.annotations?.[Annotations.operation]).toBeUndefined();
    expect((await onHc(source)).metadata.annotations?.[Annotations.previousReplicas]).toBeUndefined();
  });

  it('from the restore on writes every side that carries this move’s record, and the release removes both', async () => {
    const source = new FakeKube('source');
    const destination = new FakeKube('destination');
    const at = { ...op, phase: 'restoring' as const };
    source.put(Resources.hostedCluster, hc({ [Annotations.operation]: JSON.stringify(at) }));
    destination.put(Resources.hostedCluster, hc({ [Annotations.move]: JSON.stringify(at) }));
    const store = moveStore(sides(source, destination), undefined, at);
    await expect(store.acquire(at)).rejects.toThrow(/already held/);
    await store.write({ ...at, phase: 'verified' });
    expect(readOperation(await onHc(source))?.operation.phase).toBe('verified');
    expect(readMoveAnnotation(await onHc(destination))?.phase).toBe('verified');
    // The teardown took the source's HostedCluster (and its record): only the destination is written.
    await source.delete(Resources.hostedCluster, 'clusters', 'demo');
    await store.write({ ...at, phase: 'source-removed' });
    expect(readMoveAnnotation(await onHc(destination))?.phase).toBe('source-removed');
    await store.release();
    expect((await onHc(destination)).metadata.annotations?.[Annotations.move]).toBeUndefined();
  });

  it('leaves a record of another move alone', async () => {
    const source = new FakeKube('source');
    source.put(Resources.hostedCluster, hc({ [Annotations.operation]: JSON.stringify({ ...op, id: 'other' }) }));
    const store = moveStore(sides(source, new Unreachable()), undefined, { ...op, phase: 'frozen' });
    await store.write({ ...op, phase: 'backed-up' });
    await store.release();
    expect(readOperation(await onHc(source))?.operation).toMatchObject({ id: 'other', phase: 'started' });
  });
});

describe('a failed move in its own words', () => {
  const state = (aborted: boolean, rollbackFailures: string[] = []) => {
    const controller = new AbortController();
    if (aborted) controller.abort();
    return {
      namespace: 'clusters',
      name: 'demo',
      resumeCommand: '{cmd} resume demo -n clusters --context mgmt1',
      deps: { signal: controller.signal },
      rollbackFailures,
    } as unknown as MoveState;
  };
  const cause = new Error('connection reset');

  it('an interrupt before the hand-off: rolled back, the source unfrozen', () => {
    const err = moveRunFailure(new InterruptedError('move of "clusters/demo" interrupted; x', { cause }), state(true), {
      ...op,
      phase: 'backed-up',
    });
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as Error).message).toBe('move of "clusters/demo" interrupted before the DNS hand-off; the source was unfrozen');
  });

  it('an interrupt after it: paused for good, the resume on the source until verified and on the destination after', () => {
    const runner = new InterruptedError('move of "clusters/demo" interrupted at phase restoring', { cause });
    const early = moveRunFailure(runner, state(true), { ...op, phase: 'restoring' }) as InterruptedError;
    expect(early.message).toBe('move of "clusters/demo" interrupted after the DNS hand-off: the source stays paused for good');
    expect(early.hint).toBe('finish it with: {cmd} resume demo -n clusters --context mgmt1');
    const late = moveRunFailure(runner, state(true), { ...op, phase: 'tearing-down' }) as InterruptedError;
    expect(late.hint).toBe('finish it with: {cmd} resume demo -n clusters --context mgmt2');
  });

  it('a rollback that could not clean the bucket names what is left and keeps the runner’s hint', () => {
    const runner = new PartialFailureError('failed to move "clusters/demo": connection reset; and the rollback failed: frozen: x', {
      cause,
      hint: 'undo what is left with: {cmd} resume demo -n clusters --context mgmt1',
    });
    const err = moveRunFailure(runner, state(false, ['delete the incomplete upload: timed out']), { ...op, phase: 'backed-up' });
    expect((err as Error).message).toBe(
      'failed to move "clusters/demo": connection reset; and the rollback failed: delete the incomplete upload: timed out',
    );
    expect((err as PartialFailureError).hint).toBe(runner.hint);
  });

  it('a failure before the lock or one the rollback undid is reported as it happened', () => {
    const plain = new Error('preflight said no');
    expect(moveRunFailure(plain, state(false), undefined)).toBe(plain);
    expect(moveRunFailure(plain, state(false), { ...op, phase: 'frozen' })).toBe(plain);
  });
});
