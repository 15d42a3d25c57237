/** A move's --no-repair (src/core/move/split-brain.ts, types.ts repairAllowed): the stop recorded on both sides, on in-memory APIs. */
import { describe, expect, it } from 'vitest';
import { Annotations, Resources, type KubeObject } from '../../../../src/core/model.ts';
import type { MoveOperation } from '../../../../src/core/operation/record.ts';
import type { RestoreResult } from '../../../../src/core/contracts/restore.ts';
import { splitBrainHint, stopAtSplitBrain } from '../../../../src/core/move/split-brain.ts';
import { repairAllowed, type MoveRecord } from '../../../../src/core/move/types.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';

const op: MoveOperation = {
  id: 'mv1',
  type: 'move',
  startedAt: '2026-12-07T06:00:00Z',
  phase: 'restoring',
  source: { context: 'mgmt1' },
  destination: { context: 'mgmt2' },
};
const hc = (annotations: Record<string, string>): KubeObject => ({
  metadata: { namespace: 'clusters', name: 'demo', annotations },
  spec: {},
});
const RESUME = '{cmd} resume demo -n clusters --context mgmt1';

describe('repairAllowed', () => {
  it('repairs unless --no-repair was recorded, and again once a run reported the split brain it stopped at', () => {
    expect(repairAllowed(op)).toBe(true);
    expect(repairAllowed({ ...op, repair: false } as MoveRecord)).toBe(false);
    expect(repairAllowed({ ...op, repair: false, splitBrain: 'split brain: 3 clusters' } as MoveRecord)).toBe(true);
  });
});

describe('stopAtSplitBrain', () => {
  it('writes the stop into the records on both sides, the phase kept at restoring, and names the resume that continues', async () => {
    const recorded: MoveRecord = { ...op, repair: false };
    const source = new FakeKube('source');
    const destination = new FakeKube('destination');
    source.put(Resources.hostedCluster, hc({ [Annotations.operation]: JSON.stringify(recorded) }));
    destination.put(Resources.hostedCluster, hc({ [Annotations.move]: JSON.stringify(recorded) }));
    const restore = {
      verdict: { state: 'SplitBrain', reason: 'split brain: 3 members report 3 cluster IDs', hint: '' },
      repair: { repaired: false, reason: '3 members report 3 cluster IDs', apiDowntimeSeconds: null, actions: [] },
    } as unknown as RestoreResult;
    const ctx = {
      namespace: 'clusters',
      name: 'demo',
      source: { api: source, exec: undefined as never },
      destination: { api: destination, exec: undefined as never },
    };
    const { op: next, stop } = await stopAtSplitBrain(ctx, recorded, restore, RESUME);
    expect(next).toMatchObject({ phase: 'restoring', repair: false, splitBrain: 'split brain: 3 members report 3 cluster IDs' });
    expect(repairAllowed(next)).toBe(true);
    const onSource = JSON.parse(
      (await source.get(Resources.hostedCluster, 'clusters', 'demo'))!.metadata.annotations![Annotations.operation]!,
    );
    const onDestination = JSON.parse(
      (await destination.get(Resources.hostedCluster, 'clusters', 'demo'))!.metadata.annotations![Annotations.move]!,
    );
    for (const r of [onSource, onDestination])
      expect(r).toMatchObject({ phase: 'restoring', splitBrain: expect.stringMatching(/^split brain/) });
    expect(stop.reason).toBe('split brain: 3 members report 3 cluster IDs');
    expect(stop.hint).toBe(splitBrainHint(ctx, RESUME));
    expect(stop.hint).toMatch(
      /OCPBUGS-99534.*do not use clusters\/demo there; repair it in place from the same backup and finish the move with "\{cmd\} resume demo -n clusters --context mgmt1"$/,
    );
  });
});
