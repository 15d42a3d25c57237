/**
 * storeBackup (src/core/capture/upload.ts) with the real S3 store and the SigV4-verifying test
 * server, the pod a fake PodExec playing a snapshot out: the restore inputs are written while the
 * snapshot streams, onSnapshotStored fires once the snapshot object is stored and before
 * backup.json, and backup.json names every object with the SHA-256 of what was stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capture } from '../../src/core/capture/capture.ts';
import type { BackupDeps } from '../../src/core/capture/request.ts';
import { storeBackup } from '../../src/core/capture/upload.ts';
import type { ExecRequest, ExecResult, KubeApi, ObjectStore, PodExec } from '../../src/core/ports.ts';
import { openObjectStore } from '../../src/s3/store.ts';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { silentReporter, useS3Env } from './s3-env.ts';

const PREFIX = 'hcp/clusters/demo/20261207T000000Z-abcdef';

/** `cat` of an etcd-like snapshot that writes its first half, then waits for `before()` before the rest. */
class FakePod implements PodExec {
  readonly file: Buffer;
  readonly before: () => Promise<void>;
  constructor(file: Buffer, before: () => Promise<void>) {
    this.file = file;
    this.before = before;
  }
  async exec(request: ExecRequest): Promise<ExecResult> {
    const sink = request.stdout as Writable;
    const half = Math.floor(this.file.length / 2);
    sink.write(this.file.subarray(0, half));
    await this.before();
    sink.write(this.file.subarray(half));
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}

function snapshot(size: number): Buffer {
  const body = randomBytes(size);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function capture(): Capture {
  const secret = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace: 'clusters', name },
    data: { key: 'c2VjcmV0' },
  });
  return {
    uid: 'uid-1',
    hostedCluster: {
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'HostedCluster',
      metadata: { namespace: 'clusters', name: 'demo' },
    },
    nodePools: [{ apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'NodePool', metadata: { namespace: 'clusters', name: 'demo-a' } }],
    secrets: [
      { role: 'encryption-key', object: secret('demo-key') },
      ...Array.from({ length: 11 }, (_, i) => ({ role: 'pki' as const, object: secret(`pki-${i}`) })),
    ],
    configMaps: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'clusters', name: 'trust' }, data: { a: 'b' } }],
    references: [],
    encryption: { type: 'aescbc', activeKeySecret: 'demo-key' },
    controlPlaneSecrets: { namespace: 'clusters-demo', carried: [], excluded: [] },
  };
}

describe('storeBackup', () => {
  let server: S3Server;
  let env: { restore(): void };
  let store: ObjectStore;
  const dir = path.join(os.tmpdir(), `hcpdr-store-backup-${process.pid}-${Date.now()}`);

  beforeAll(async () => {
    server = await startS3Server({ dir, buckets: ['b'] });
    env = useS3Env(server);
    store = (await openObjectStore({ url: 's3://b', endpoint: server.endpoint }, silentReporter)).store;
  });
  afterAll(async () => {
    env?.restore();
    await server?.stop();
  });

  it('writes the restore inputs while the snapshot streams, says when the snapshot is stored, and writes backup.json last', async () => {
    const file = snapshot(256 * 1024);
    const keysWhileStreaming: string[] = [];
    // The pod holds the second half back until every Secret is in the bucket: only a concurrent write lets it go on.
    const pod = new FakePod(file, async () => {
      for (let i = 0; i < 200 && keysWhileStreaming.filter((k) => k.includes('/secrets/')).length < 12; i++) {
        keysWhileStreaming.splice(0, Infinity, ...(await store.list(`${PREFIX}/`)).map((o) => o.key));
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    // Every write's start and end, and the moment the snapshot is said to be stored, in order.
    const events: string[] = [];
    const put: ObjectStore['put'] = async (key, body, options) => {
      events.push(`start ${key.slice(PREFIX.length + 1)}`);
      const answer = await store.put(key, body, options);
      events.push(`end ${key.slice(PREFIX.length + 1)}`);
      return answer;
    };
    const logged = new Proxy(store, {
      get: (target, name: string) => {
        if (name === 'put') return put;
        const value = (target as unknown as Record<string, unknown>)[name];
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const deps = {
      api: {} as KubeApi,
      exec: pod,
      clock: { now: () => new Date(), sleep: (ms: number) => new Promise((r) => setTimeout(r, ms)) },
      reporter: silentReporter,
      toolVersion: 'test',
      newBackupId: () => 'unused',
      onSnapshotStored: () => void events.push('snapshot stored'),
    } satisfies BackupDeps;
    const stored = await storeBackup({
      req: {
        namespace: 'clusters',
        name: 'demo',
        mode: 'online',
        destination: { store: logged, prefix: 'hcp' },
        pauseTtlMs: 60_000,
        waitTimeoutMs: 1000,
      },
      deps,
      capture: capture(),
      pod: { exec: pod, namespace: 'clusters-demo', pod: 'etcd-0' },
      path: '/var/lib/x.db',
      prefix: PREFIX,
      id: '20261207T000000Z-abcdef',
      status: { hash: 1, revision: 2, totalKey: 3, totalSize: 4 },
      member: { pod: 'etcd-0', memberId: 'm1', version: '3.6.0' },
      apiDowntimeSeconds: null,
      etcdVersion: '3.6.0',
    });
    expect(keysWhileStreaming.filter((k) => k.includes('/secrets/'))).toHaveLength(12);
    expect(keysWhileStreaming).not.toContain(`${PREFIX}/snapshot.db`);
    const at = (e: string) => events.indexOf(e);
    expect(at('snapshot stored')).toBeGreaterThan(at('end snapshot.db'));
    expect(at('start backup.json')).toBeGreaterThan(at('snapshot stored'));
    expect(events.filter((e) => e.startsWith('end ')).at(-1)).toBe('end backup.json');
    expect(events.filter((e) => e === 'snapshot stored')).toHaveLength(1);
    expect(stored.snapshotRemoved).toBe(false);

    const m = stored.manifest;
    expect(m.snapshot).toMatchObject({ sha256: sha256(file), size: file.length, revision: 2, totalKeys: 3, hash: 1 });
    expect(m.secrets.map((s) => s.name)).toEqual(['demo-key', ...Array.from({ length: 11 }, (_, i) => `pki-${i}`)]);
    for (const ref of [...m.secrets, ...(m.configMaps ?? [])]) {
      const key = ref.url.replace('s3://b/', '');
      expect(sha256(Buffer.concat(await (await store.get(key)).toArray())), key).toBe(ref.sha256);
    }
    expect(m.encryption).toEqual({
      type: 'aescbc',
      activeKeySecret: 'demo-key',
      keyUrl: `s3://b/${PREFIX}/secrets/demo-key.yaml`,
      keySha256: m.secrets[0]?.sha256,
    });
    expect(m.manifests).toEqual({ hostedCluster: 'manifests/hostedcluster.yaml', nodePools: ['manifests/nodepools/demo-a.yaml'] });
    const written = JSON.parse(Buffer.concat(await (await store.get(`${PREFIX}/backup.json`)).toArray()).toString()) as unknown;
    expect(written).toEqual(m);
  });
});
