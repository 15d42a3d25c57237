/**
 * The fleet workflow's own decisions, on an in-memory API: which HostedClusters it skips, that a
 * failing cluster does not stop the others, that an aborted run starts nothing, the bound on
 * backups in flight, and the outcome's exit code (130 and 5 before 6).
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../../src/core/errors.ts';
import { fleetOutcome, runFleetBackup, type FleetBackupResult, type FleetDeps } from '../../../../src/core/backup/fleet.ts';
import { Resources, type KubeObject } from '../../../../src/core/model.ts';
import type { ObjectStore, StoredObject } from '../../../../src/core/ports.ts';
import { FakeKube } from '../../../support/fakes/kube.ts';

const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

/** A store whose listings count how many run at once (each backup lists its destination first). */
function countingStore() {
  const seen = { inFlight: 0, max: 0, lists: 0 };
  const store = {
    bucket: 'b',
    url: (key: string) => `s3://b/${key}`,
    list: async (): Promise<StoredObject[]> => {
      seen.lists++;
      seen.max = Math.max(seen.max, ++seen.inFlight);
      await new Promise((r) => setTimeout(r, 20));
      seen.inFlight--;
      return [];
    },
  } as unknown as ObjectStore;
  return { store, seen };
}

function hostedCluster(namespace: string, name: string, extra: { unmanaged?: boolean; deleting?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { namespace, name, ...(extra.deleting ? { deletionTimestamp: '2026-11-29T00:00:00Z' } : {}) },
    spec: { etcd: extra.unmanaged ? { managementType: 'Unmanaged' } : { managementType: 'Managed', managed: {} } },
  };
}

function setup(clusters: KubeObject[], signal?: AbortSignal) {
  const api = new FakeKube();
  for (const hc of clusters) api.put(Resources.hostedCluster, hc);
  const { store, seen } = countingStore();
  const deps: FleetDeps = {
    api,
    exec: { exec: () => Promise.reject(new Error('no pods here')) },
    clock: { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    reporter: quiet,
    toolVersion: 'test',
    newBackupId: () => '20261129T000000Z-abcdef',
    ...(signal ? { signal } : {}),
  };
  const template = { mode: 'online' as const, destination: { store, prefix: 'hcp' }, pauseTtlMs: 60_000, waitTimeoutMs: 1000 };
  return { api, deps, seen, template };
}

describe('runFleetBackup', () => {
  it('skips Unmanaged and deleting HostedClusters with the reason, touching nothing; that is success', async () => {
    const { api, deps, seen, template } = setup([
      hostedCluster('a', 'ext', { unmanaged: true }),
      hostedCluster('a', 'gone', { deleting: true }),
    ]);
    const result = await runFleetBackup({ selection: {}, concurrency: 4, template }, deps);
    expect(result.items.map((i) => [i.name, i.state, i.detail])).toEqual([
      ['ext', 'Skipped', expect.stringMatching(/Unmanaged/)],
      ['gone', 'Skipped', expect.stringMatching(/being deleted/)],
    ]);
    expect(seen.lists).toBe(0);
    expect(api.writes).toEqual([]);
    expect(fleetOutcome(result, false)).toBeUndefined();
  });

  it('a failing cluster does not stop the others, and at most --concurrency run at once', async () => {
    const names = ['c1', 'c2', 'c3', 'c4', 'c5'];
    const { deps, seen, template } = setup(names.map((n) => hostedCluster('ns', n)));
    const result = await runFleetBackup({ selection: { namespace: 'ns' }, concurrency: 2, template }, deps);
    // No etcd pods: every cluster's preflight finds etcd QuorumLost (exit 4), each on its own.
    expect(result.items.map((i) => `${i.name}:${i.state}:${i.error?.exitCode}`)).toEqual(names.map((n) => `${n}:Failed:4`));
    expect(seen.lists).toBe(1 + names.length); // the fleet's own destination check, then each backup's
    expect(seen.max).toBe(2);
    const error = fleetOutcome(result, false);
    expect(error?.exitCode).toBe(ExitCode.someFailed);
    expect(error?.message).toMatch(/^failed to back up 5 of 5 hosted clusters \(0 backed up\): ns\/c1 \(.*QuorumLost/);
  });

  it('an aborted run starts no backup: every cluster NotStarted, outcome interrupted (130)', async () => {
    const abort = new AbortController();
    abort.abort(new Error('SIGINT'));
    const { deps, template } = setup([hostedCluster('ns', 'c1'), hostedCluster('ns', 'c2')], abort.signal);
    const result = await runFleetBackup({ selection: {}, concurrency: 4, template }, deps);
    expect(result.items.map((i) => i.state)).toEqual(['NotStarted', 'NotStarted']);
    expect(fleetOutcome(result, true)?.exitCode).toBe(ExitCode.interrupted);
  });

  it('no HostedCluster selected is a precondition failure (exit 3) naming the selection', async () => {
    const { deps, template } = setup([hostedCluster('ns', 'c1')]);
    await expect(runFleetBackup({ selection: { namespace: 'other' }, concurrency: 4, template }, deps)).rejects.toMatchObject({
      exitCode: ExitCode.precondition,
      message: expect.stringMatching(/no HostedCluster in namespace other/),
    });
  });
});

describe('fleetOutcome', () => {
  const item = (name: string, state: FleetBackupResult['items'][number]['state'], exitCode?: number) => ({
    namespace: 'ns',
    name,
    state,
    backup: null,
    detail: null,
    seconds: 1,
    error: exitCode === undefined ? null : { code: 'X', exitCode, message: `${name} broke`, hint: `fix ${name}` },
  });
  const result = (items: ReturnType<typeof item>[]): FleetBackupResult => ({
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: 'FleetBackupResult',
    mode: 'online',
    dryRun: false,
    destination: 's3://b/hcp',
    selection: { namespace: null, labelSelector: null },
    concurrency: 4,
    startedAt: '',
    finishedAt: '',
    summary: {
      total: items.length,
      succeeded: items.filter((i) => i.state === 'Succeeded').length,
      planned: 0,
      failed: items.filter((i) => i.state === 'Failed').length,
      skipped: 0,
      interrupted: items.filter((i) => i.state === 'Interrupted').length,
      notStarted: 0,
    },
    items,
  });

  it('a failed cluster that needs resume makes it 5, before an interruption and before 6', () => {
    const r = result([item('a', 'Succeeded'), item('b', 'Failed', 4), item('c', 'Failed', 5)]);
    for (const interrupted of [false, true]) {
      const e = fleetOutcome(r, interrupted);
      expect(e?.exitCode).toBe(ExitCode.partialFailure);
      expect(e?.message).toMatch(/and 1 need resume: ns\/c \(c broke\)/);
      expect(e?.hint).toBe('ns/c: fix c');
    }
  });

  it('failures alone make it 6, naming each failed cluster with its cause, and joining their hints', () => {
    const e = fleetOutcome(result([item('a', 'Succeeded'), item('b', 'Failed', 4), item('c', 'Failed', 1)]), false);
    expect(e?.exitCode).toBe(ExitCode.someFailed);
    expect(e?.message).toBe('failed to back up 2 of 3 hosted clusters (1 backed up): ns/b (b broke); ns/c (c broke)');
    expect(e?.hint).toBe('ns/b: fix b; ns/c: fix c');
  });

  it('all succeeded is no error', () => {
    expect(fleetOutcome(result([item('a', 'Succeeded')]), false)).toBeUndefined();
  });
});
