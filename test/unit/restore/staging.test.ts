/**
 * The restore's `staged` phase (bundle/staging.ts, phases.ts) against the runner, the in-memory
 * API and an in-memory bucket: a compressed snapshot is staged decoded under its deterministic key,
 * checked against backup.json (a differing copy is deleted and refused), and a failure before the
 * point of no return undoes it (the staged copy deleted, the failure's message saying so on an
 * interrupt); a plain backup stages nothing.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Resources } from '../../../src/core/model.ts';
import type { PutOptions } from '../../../src/core/ports.ts';
import { runWorkflow } from '../../../src/core/operation/runner.ts';
import { defineWorkflow } from '../../../src/core/operation/workflow.ts';
import { desiredObjects } from '../../../src/core/restore/objects.ts';
import { restoreWorkflow, type RestoreState } from '../../../src/core/restore/phases.ts';
import { preflight } from '../../../src/core/restore/preflight.ts';
import type { RestoreRecord } from '../../../src/core/restore/record.ts';
import { restoreStore } from '../../../src/core/restore/store.ts';
import { stageSnapshot, stagingKey } from '../../../src/core/bundle/staging.ts';
import type { RestoreRequest } from '../../../src/core/contracts/restore.ts';
import { FakeClock, memoryReporter } from '../../support/fakes/clock.ts';
import { FakeKube, FakeLogs } from '../../support/fakes/kube.ts';
import { secret } from '../../support/fakes/objects.ts';
import { MemoryStore } from '../render/helpers.ts';
import { demoBundle, installOperator, URL } from './fixture.ts';

/** MemoryStore that takes a stream, as the S3 adapter's multipart upload does. */
class StreamStore extends MemoryStore {
  override async put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<void> {
    if (!(body instanceof Readable)) return super.put(key, body, options);
    const parts: Buffer[] = [];
    for await (const chunk of body) parts.push(Buffer.from(chunk as Buffer));
    this.objects.set(key, Buffer.concat(parts));
    this.keepMetadata(key, options);
  }
}

const changes = defineWorkflow({ ...restoreWorkflow, phases: restoreWorkflow.changes });
const bundle = demoBundle();
const prefix = 'hcp/clusters/demo/abc';
const plain = Buffer.from('a bbolt file, as plain as etcd-init needs it '.repeat(50));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const staged = stagingKey(prefix, 'clusters', 'demo');
const EXPIRES = new Date('2026-11-30T12:00:00Z');

function encodedBucket(): StreamStore {
  const store = new StreamStore('b');
  store.objects.set(`${prefix}/snapshot.db`, zstdCompressSync(plain));
  return store;
}

async function planned(kube: FakeKube, store: StreamStore, controller?: AbortController): Promise<RestoreState> {
  installOperator(kube);
  const desired = desiredObjects(bundle, { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: {} });
  const pre = await preflight({ api: kube, bundle, namespace: 'clusters', name: 'demo', replace: false, snapshotUrl: URL }, desired);
  const m = { ...bundle.manifest, snapshot: { ...bundle.manifest.snapshot, file: 'snapshot.db', sha256: sha(plain), size: plain.length } };
  const s = {
    req: { store, prefix } as unknown as RestoreRequest,
    deps: {
      api: kube,
      exec: { exec: () => Promise.reject(new Error('no exec')) },
      logs: new FakeLogs(),
      clock: new FakeClock(),
      reporter: memoryReporter(),
      ...(controller ? { signal: controller.signal } : {}),
    },
    startedAt: new Date('2026-11-29T12:00:00Z'),
    waitTimeoutMs: 1000,
    rerun: '{cmd} restore s3://b/x/',
    repairFrom: { allowed: false },
    namespace: 'clusters',
    name: 'demo',
    cp: 'clusters-demo',
    bundle: { ...bundle, manifest: m },
    staged: { key: staged, expiresAt: EXPIRES, open: () => Promise.resolve(store) },
    desired,
    pre: pre.preflight,
    planned: pre.planned,
    applied: [],
    created: [],
    repair: null,
  } as unknown as RestoreState;
  s.store = restoreStore(kube, s, () => s.verification?.state === 'Restored');
  return s;
}

const record = (): RestoreRecord => ({
  id: 'new1',
  type: 'restore',
  startedAt: '2026-11-29T11:59:00.000Z',
  phase: 'started',
  backup: bundle.url,
  backupId: bundle.manifest.id,
  firstChangeAt: '2026-11-29T11:59:00.000Z',
  backupCreatedAt: bundle.manifest.createdAt,
  revision: 500,
  totalKeys: 210,
});

function run(s: RestoreState, onStep: (step: string) => void = () => undefined) {
  return runWorkflow(changes, s, record(), {
    store: s.store,
    reporter: s.deps.reporter,
    clock: s.deps.clock,
    signal: s.deps.signal,
    step: onStep,
    resumeCommand: '{cmd} resume demo -n clusters',
  });
}

describe('staging a compressed or encrypted snapshot', () => {
  it('decodes it under the deterministic key, checked against backup.json', async () => {
    const store = encodedBucket();
    expect(staged).toBe(`${prefix}/.hcp-dr-staging/clusters/demo/snapshot.db`);
    const got = await stageSnapshot({
      store,
      sourceKey: `${prefix}/snapshot.db`,
      stagedKey: staged,
      expiresAt: EXPIRES,
      keyring: undefined,
      expected: { sha256: sha(plain), size: plain.length },
    });
    expect(got).toEqual({ sha256: sha(plain), size: plain.length });
    expect(store.objects.get(staged)?.equals(plain)).toBe(true);
    // The copy carries the URL's expiry, for `backup prune` (bundle/staged-copies.ts).
    expect((await store.head(staged))?.metadata).toEqual({ 'hcp-dr-expires': '2026-11-30T12:00:00.000Z' });
  });

  it('deletes and refuses a decoded copy that differs from backup.json', async () => {
    const store = encodedBucket();
    const staging = stageSnapshot({
      store,
      sourceKey: `${prefix}/snapshot.db`,
      stagedKey: staged,
      expiresAt: EXPIRES,
      keyring: undefined,
      expected: { sha256: 'f'.repeat(64), size: plain.length },
    });
    await expect(staging).rejects.toThrow(/the decoded copy .* differs from backup.json/);
    expect(store.objects.has(staged)).toBe(false);
  });

  it('is undone by a failure before the point of no return: the staged copy deleted, no HostedCluster', async () => {
    const kube = new FakeKube();
    const store = encodedBucket();
    const s = await planned(kube, store);
    let stagedSeen = false;
    // Appears between the preflight and the apply, with another key: the apply refuses it.
    kube.put(Resources.secret, secret('clusters-demo', 'root-ca', { 'tls.key': 'b3RoZXI=' }));
    const err = await run(s, (step) => step === 'staged' && (stagedSeen = store.objects.has(staged))).then(
      () => new Error('no failure'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/cannot create Secret clusters-demo\/root-ca/);
    expect(stagedSeen).toBe(true);
    expect(store.objects.has(staged)).toBe(false);
    expect(await kube.get(Resources.hostedCluster, 'clusters', 'demo')).toBeUndefined();
  });

  it('an interrupt after staging says the staged copy was deleted and nothing else undone', async () => {
    const kube = new FakeKube();
    const store = encodedBucket();
    const controller = new AbortController();
    const s = await planned(kube, store, controller);
    const err = await run(s, (step) => step === 'staged' && controller.abort()).then(
      () => new Error('no failure'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(
      /restore interrupted; deleted the staged snapshot copy s3:\/\/b\/.*\.hcp-dr-staging.*; nothing else was undone/,
    );
    expect(store.objects.has(staged)).toBe(false);
  });

  it('stages nothing for a plain backup (the phase is skipped)', async () => {
    const kube = new FakeKube();
    const store = encodedBucket();
    const s = await planned(kube, store);
    delete s.staged;
    const steps: string[] = [];
    kube.put(Resources.secret, secret('clusters-demo', 'root-ca', { 'tls.key': 'b3RoZXI=' }));
    await run(s, (step) => steps.push(step)).catch(() => undefined);
    expect(steps).not.toContain('staged');
    expect([...store.objects.keys()]).toEqual([`${prefix}/snapshot.db`]);
  });
});
