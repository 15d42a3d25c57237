/**
 * `resume` of a move that stopped before the DNS hand-off (src/core/move/resume.ts through the
 * runner and the move's phases), on in-memory clusters: from each recorded phase before the point
 * of no return the source is exactly as before the freeze, the snapshot file and the incomplete
 * upload are gone, and the record goes last; a store that does not answer keeps the record.
 */
import { describe, expect, it } from 'vitest';
import { PartialFailureError } from '../../../../src/core/errors.ts';
import { Annotations, Resources } from '../../../../src/core/model.ts';
import type { MoveOperation } from '../../../../src/core/operation/record.ts';
import type { ExecRequest, MoveWorld, ObjectStore } from '../../../../src/core/ports.ts';
import { resumeMove } from '../../../../src/core/move/resume.ts';
import { FROZEN_DEPLOYMENTS } from '../../../../src/core/move/types.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { FakeClock, memoryReporter } from '../../../support/fakes/clock.ts';

const PREFIX = 'moves/clusters/demo/mv1';
const DEADLINE = '2026-11-29T13:00:00Z';

const record = (phase: MoveOperation['phase']): MoveOperation => ({
  id: 'mv1',
  type: 'move',
  startedAt: '2026-11-29T12:00:00Z',
  phase,
  source: { context: 'mgmt1' },
  destination: { context: 'mgmt2' },
  via: { url: 's3://b/moves' },
  backup: `s3://b/${PREFIX}/`,
  snapshot: { member: 'etcd-0', path: '/var/lib/hcp-dr-mv1.db' },
  nodePoolsPausedUntil: { 'demo-np': null },
  waitTimeoutMs: 60_000,
});

/** A source frozen by move mv1 (at `phase`): paused with a deadline, the four deployments at 0. */
function frozenSource(phase: MoveOperation['phase']): FakeKube {
  const api = new FakeKube('source');
  const annotations = {
    [Annotations.operation]: JSON.stringify(record(phase)),
    [Annotations.previousPausedUntil]: 'null',
    [Annotations.previousReplicas]: JSON.stringify(Object.fromEntries(FROZEN_DEPLOYMENTS.map((d) => [d, 3]))),
  };
  api.put(Resources.hostedCluster, {
    metadata: { namespace: 'clusters', name: 'demo', annotations },
    spec: { pausedUntil: DEADLINE },
  });
  api.put(Resources.nodePool, { metadata: { namespace: 'clusters', name: 'demo-np' }, spec: { pausedUntil: DEADLINE } });
  for (const d of FROZEN_DEPLOYMENTS)
    api.put(Resources.deployment, { metadata: { namespace: 'clusters-demo', name: d }, spec: { replicas: 0 } });
  return api;
}

/** The bucket: keys under the run's prefix, and a switch that makes it stop answering. */
function bucket() {
  const keys = new Set([`${PREFIX}/snapshot.db`, `${PREFIX}/secrets/x.json`, 'moves/clusters/demo/old/backup.json']);
  const b = { keys, down: false };
  const store = {
    bucket: 'b',
    url: (k: string) => `s3://b/${k}`,
    list: (prefix: string) =>
      b.down
        ? Promise.reject(new Error('timed out after 5000 ms without an answer from the store'))
        : Promise.resolve([...keys].filter((k) => k.startsWith(prefix)).map((key) => ({ key, size: 1, lastModified: undefined }))),
    delete: (key: string) => Promise.resolve(void keys.delete(key)),
  } as unknown as ObjectStore;
  return { b, store };
}

function resumeOn(source: FakeKube, store: ObjectStore) {
  const destination = new FakeKube('destination');
  const commands: string[][] = [];
  const exec = {
    exec: (r: ExecRequest) => {
      commands.push([r.pod, ...r.command]);
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '' });
    },
  };
  const world = {
    connectKube: () => Promise.resolve({ api: destination, exec, namespace: 'clusters', namespaceExplicit: true, contextName: 'mgmt2' }),
    openObjectStore: () => Promise.resolve({ store, prefix: PREFIX }),
    resolver: () => ({ describe: () => 'the system resolver', resolve4: () => Promise.resolve([]) }),
  } as unknown as MoveWorld;
  const reporter = memoryReporter();
  const run = async () =>
    resumeMove(
      {
        namespace: 'clusters',
        name: 'demo',
        hc: (await source.get(Resources.hostedCluster, 'clusters', 'demo'))!,
        record: { operation: record('started'), previousPausedUntil: null, previousReplicas: undefined },
        deps: { api: source, exec, clock: new FakeClock(), reporter, world },
      },
      // Before the hand-off no restore runs: one that did would fail the test.
      () => Promise.reject(new Error('restore must not run before the hand-off')),
    );
  return { run, commands, reporter, destination };
}

async function sourceNow(api: FakeKube) {
  const hc = (await api.get(Resources.hostedCluster, 'clusters', 'demo'))!;
  const np = (await api.get(Resources.nodePool, 'clusters', 'demo-np'))!;
  const replicas = await Promise.all(
    FROZEN_DEPLOYMENTS.map(
      async (d) => ((await api.get(Resources.deployment, 'clusters-demo', d))!['spec'] as { replicas: number }).replicas,
    ),
  );
  return {
    annotations: Object.keys(hc.metadata.annotations ?? {}).filter((k) => k.startsWith('hcp-dr.')),
    pausedUntil: (hc['spec'] as { pausedUntil?: string }).pausedUntil,
    nodePool: (np['spec'] as { pausedUntil?: string }).pausedUntil,
    replicas,
  };
}

const AS_BEFORE = { annotations: [], pausedUntil: undefined, nodePool: undefined, replicas: [3, 3, 3, 3] };

describe('resume of a move stopped before the DNS hand-off', () => {
  // `started` included: records of hcp-dr before the runner kept it through the freeze.
  for (const phase of ['started', 'frozen', 'backed-up'] as const) {
    it(`at ${phase}: unfreezes the source exactly, removes the snapshot file and the incomplete upload, then the record`, async () => {
      const source = frozenSource(phase);
      // The record the resume reads is on the source HostedCluster; record('started') above is only the entry's copy.
      const { b, store } = bucket();
      const { run, commands, destination } = resumeOn(source, store);
      const result = await run();
      expect(await sourceNow(source)).toEqual(AS_BEFORE);
      expect(commands).toContainEqual(['etcd-0', 'rm', '-f', '/var/lib/hcp-dr-mv1.db', '/var/lib/hcp-dr-mv1.db.part']);
      expect([...b.keys]).toEqual(['moves/clusters/demo/old/backup.json']);
      expect(result.actions.at(-1)).toBe('removed the record of move mv1: the source runs as before');
      expect(destination.journal).toEqual([]);
      // -o json: the undos this resume ran, timed (only the freeze has one: it also cleans the bucket).
      expect(result.phases?.map((p) => [p.phase, p.undo])).toEqual([['frozen', true]]);
      expect(result.phases?.every((p) => p.seconds >= 0)).toBe(true);
    });
  }

  it('a store that does not answer: the source is unfrozen, the record stays, and the same resume finishes once it answers', async () => {
    const source = frozenSource('backed-up');
    const { b, store } = bucket();
    b.down = true;
    const { run } = resumeOn(source, store);
    const failed = await run().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PartialFailureError);
    expect((failed as Error).message).toMatch(/^failed to undo move mv1 of "clusters\/demo": delete the incomplete upload: timed out/);
    expect((failed as PartialFailureError).hint).toMatch(/run "\{cmd\} resume demo -n clusters --context mgmt1" again/);
    const kept = await sourceNow(source);
    expect(kept.replicas).toEqual([3, 3, 3, 3]);
    expect(kept.annotations).toContain(Annotations.operation);
    b.down = false;
    await run();
    expect(await sourceNow(source)).toEqual(AS_BEFORE);
    expect([...b.keys]).toEqual(['moves/clusters/demo/old/backup.json']);
  });
});
