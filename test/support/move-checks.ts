/**
 * What every interrupted-and-resumed move must leave, checked from outside: the hosted cluster on
 * exactly one management cluster with no hcp-dr record, its API name resolving there, its data,
 * no snapshot file on any etcd member's volume, no incomplete backup under the move prefix.
 */
import { Writable } from 'node:stream';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { connectKube } from '../../src/kube/session.ts';
import type { ManagementCluster, Sandbox } from '../sandbox/sandbox.ts';
import { sandboxS3Client } from './sandbox-s3.ts';
import { waitFor } from './wait.ts';
import type { GroupResource } from '../sandbox/api/types.ts';

export const HC: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const API = 'api-demo.hcp.example.com';
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

export const clusterOf = (sb: Sandbox, context: string): ManagementCluster =>
  sb.clusters[context === 'sandbox' ? 0 : 1] as ManagementCluster;
export const otherContext = (context: string) => (context === 'sandbox' ? 'sandbox-2' : 'sandbox');

/** Waits until the seeded demo's API name resolves to the first management cluster's ingress (a move's starting point). */
export async function waitForDemoPublished(sb: Sandbox): Promise<void> {
  await waitFor(
    'api-demo published',
    async () =>
      (
        await sb
          .dns!.resolver()
          .resolve4(API)
          .catch(() => [])
      )[0] === '127.0.0.11',
    60_000,
  );
}

/** Files named like a backup's snapshot (hcp-dr-<id>.db, .part) in /var/lib of every etcd member of demo on `context`. */
export async function snapshotFiles(sb: Sandbox, context: string): Promise<string[]> {
  const session = await connectKube({ kubeconfig: sb.kubeconfig, context }, quiet);
  const found: string[] = [];
  for (const pod of ['etcd-0', 'etcd-1', 'etcd-2']) {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const r = await session.exec
      .exec({ namespace: 'clusters-demo', pod, container: 'etcd', command: ['sh', '-c', 'ls -a /var/lib'], stdout: sink })
      .catch(() => undefined);
    if (r)
      found.push(
        ...text
          .split(/\s+/)
          .filter((f) => /^hcp-dr-.*\.db/.test(f))
          .map((f) => `${pod}:${f}`),
      );
  }
  return found;
}

/** Backups directly under `prefix` (…/<namespace>/<name>/) without their backup.json (what a run left half-uploaded). */
export async function incompleteBackups(sb: Sandbox, prefix: string): Promise<string[]> {
  const client = sandboxS3Client(sb);
  try {
    const dirs = new Map<string, boolean>();
    // Every page: the bucket keeps complete backups, so a long run holds more than one page of keys.
    for await (const page of paginateListObjectsV2({ client }, { Bucket: sb.s3.bucket, Prefix: prefix }))
      for (const o of page.Contents ?? []) {
        const key = o.Key ?? '';
        const dir = prefix + (key.slice(prefix.length).split('/')[0] ?? '');
        dirs.set(dir, (dirs.get(dir) ?? false) || key === `${dir}/backup.json`);
      }
    return [...dirs].filter(([, complete]) => !complete).map(([dir]) => dir);
  } finally {
    client.destroy();
  }
}

/** The cluster runs on `context` only, with no record, serves its API name there and holds `key` = `value`. */
export async function expectOnePlace(sb: Sandbox, context: string, key: string, value: string): Promise<void> {
  const here = clusterOf(sb, context);
  const there = clusterOf(sb, otherContext(context));
  expect(there.sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
  expect(there.sim.store.get(NAMESPACES, undefined, 'clusters-demo')).toBeUndefined();
  const hc = here.sim.store.get(HC, 'clusters', 'demo')!;
  expect(
    Object.keys(hc.metadata.annotations ?? {}).filter(
      (k) => k.startsWith('hcp-dr.openshift.io/') && k !== 'hcp-dr.openshift.io/restored-from',
    ),
  ).toEqual([]);
  await waitFor(
    `${API} on ${context}`,
    async () =>
      (
        await sb
          .dns!.resolver()
          .resolve4(API)
          .catch(() => [])
      )[0] === here.ingressAddress,
    30_000,
  );
  const etcd = here.operator?.etcd('clusters-demo') ?? sb.etcd;
  expect(await etcd.get(key)).toBe(value);
  expect(await snapshotFiles(sb, context)).toEqual([]);
}
