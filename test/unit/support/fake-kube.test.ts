/** The unit tests' in-memory API (test/support/fakes/kube.ts) fails the way the API server and src/kube's adapter do. */
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, UsageError } from '../../../src/core/errors.ts';
import { Resources } from '../../../src/core/model.ts';
import { FakeKube } from '../../support/fakes/kube.ts';
import { hostedCluster, namespace, nodePool, pod, secret } from '../../support/fakes/objects.ts';

const HC = Resources.hostedCluster;

function withDemo(): FakeKube {
  const kube = new FakeKube();
  kube.put(HC, hostedCluster('demo', { spec: { pausedUntil: 'true', platform: { type: 'AWS' } } }));
  return kube;
}

describe('FakeKube', () => {
  it('answers undefined for a missing object and a copy for a present one', async () => {
    const kube = withDemo();
    expect(await kube.get(HC, 'clusters', 'other')).toBeUndefined();
    const got = await kube.get(HC, 'clusters', 'demo');
    got!.metadata.name = 'changed';
    expect((await kube.get(HC, 'clusters', 'demo'))?.metadata.name).toBe('demo');
  });

  it('refuses to create an object that exists (AlreadyExists) and records the create that worked', async () => {
    const kube = withDemo();
    await expect(kube.create(HC, 'clusters', hostedCluster('demo'))).rejects.toBeInstanceOf(ConflictError);
    const created = await kube.create(Resources.secret, 'clusters', secret('ignored', 'pull'));
    expect(created.metadata).toMatchObject({ namespace: 'clusters', uid: expect.any(String), resourceVersion: expect.any(String) });
    expect(kube.journal).toEqual(['create Secret clusters/pull']);
    expect(kube.writes).toEqual(['create secrets clusters/pull']);
  });

  it('answers NotFound for a patch of a missing object', async () => {
    const kube = new FakeKube();
    await expect(kube.mergePatch(HC, 'clusters', 'demo', { spec: {} })).rejects.toBeInstanceOf(NotFoundError);
    await expect(kube.jsonPatch(HC, 'clusters', 'demo', [])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('merge patches per RFC 7386 and makes one carrying a stale resourceVersion a Conflict', async () => {
    const kube = withDemo();
    const before = (await kube.get(HC, 'clusters', 'demo'))!;
    const after = await kube.mergePatch(HC, 'clusters', 'demo', { spec: { pausedUntil: null, platform: { aws: { region: 'x' } } } });
    expect(after['spec']).toEqual({ platform: { type: 'AWS', aws: { region: 'x' } } });
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
    expect(after.metadata.uid).toBe(before.metadata.uid);
    const stale = { metadata: { resourceVersion: before.metadata.resourceVersion }, spec: { pausedUntil: 'true' } };
    await expect(kube.mergePatch(HC, 'clusters', 'demo', stale)).rejects.toBeInstanceOf(ConflictError);
    const fresh = { metadata: { resourceVersion: after.metadata.resourceVersion }, spec: { pausedUntil: 'true' } };
    expect((await kube.mergePatch(HC, 'clusters', 'demo', fresh))['spec']).toMatchObject({ pausedUntil: 'true' });
  });

  it('JSON patches with a failing test op as a Conflict and leaves the object as it was', async () => {
    const kube = withDemo();
    const test = { op: 'test' as const, path: '/spec/pausedUntil', value: 'false' };
    await expect(kube.jsonPatch(HC, 'clusters', 'demo', [{ op: 'remove', path: '/spec/platform' }, test])).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await kube.get(HC, 'clusters', 'demo'))?.['spec']).toMatchObject({ platform: { type: 'AWS' } });
    await expect(kube.jsonPatch(HC, 'clusters', 'demo', [{ op: 'remove', path: '/spec/nothing' }])).rejects.toBeInstanceOf(UsageError);
    const out = await kube.jsonPatch(HC, 'clusters', 'demo', [
      { op: 'test', path: '/spec/pausedUntil', value: 'true' },
      { op: 'remove', path: '/spec/pausedUntil' },
      { op: 'add', path: '/metadata/annotations', value: { 'a~b/c': '1' } },
      { op: 'replace', path: '/metadata/annotations/a~0b~1c', value: '2' },
    ]);
    expect(out['spec']).toEqual({ platform: { type: 'AWS' } });
    expect(out.metadata.annotations).toEqual({ 'a~b/c': '2' });
  });

  it('deletes quietly when the object is gone, and holds an object with finalizers until they are removed', async () => {
    const kube = new FakeKube();
    await kube.delete(HC, 'clusters', 'nothing');
    expect(kube.journal).toEqual([]);
    kube.put(HC, hostedCluster('demo', { metadata: { finalizers: ['hypershift.openshift.io/finalizer'] } }));
    await kube.delete(HC, 'clusters', 'demo');
    const marked = await kube.get(HC, 'clusters', 'demo');
    expect(marked?.metadata.deletionTimestamp).toEqual(expect.any(String));
    await kube.mergePatch(HC, 'clusters', 'demo', { metadata: { finalizers: null } });
    expect(await kube.get(HC, 'clusters', 'demo')).toBeUndefined();
    await kube.delete(Resources.secret, 'clusters', 'x');
    kube.put(Resources.secret, secret('clusters', 'x'));
    await kube.delete(Resources.secret, 'clusters', 'x');
    expect(await kube.get(Resources.secret, 'clusters', 'x')).toBeUndefined();
    expect(kube.journal).toEqual(['delete HostedCluster clusters/demo', 'patch HostedCluster clusters/demo', 'delete Secret clusters/x']);
  });

  it('lists one namespace exactly (not its prefix), all namespaces, cluster-scoped types and label selectors', async () => {
    const kube = new FakeKube();
    kube.put(Resources.pod, pod('clusters', 'a', { metadata: { labels: { app: 'etcd', tier: 'x' } } }));
    kube.put(Resources.pod, pod('clusters-demo', 'b', { metadata: { labels: { app: 'etcd' } } }));
    kube.put(Resources.pod, pod('clusters-demo', 'c', { metadata: { labels: { app: 'kas' } } }));
    kube.put(Resources.namespace, namespace('clusters'));
    const names = async (ns: string | undefined, labelSelector?: string) =>
      (await kube.list(Resources.pod, ns, { labelSelector })).map((o) => o.metadata.name);
    expect(await names('clusters')).toEqual(['a']);
    expect(await names(undefined)).toEqual(['a', 'b', 'c']);
    expect(await names(undefined, 'app=etcd')).toEqual(['a', 'b']);
    expect(await names(undefined, 'app!=etcd')).toEqual(['c']);
    expect(await names(undefined, 'app=etcd,tier')).toEqual(['a']);
    expect(await names(undefined, '!tier')).toEqual(['b', 'c']);
    expect((await kube.list(Resources.namespace, 'whatever')).map((o) => o.metadata.name)).toEqual(['clusters']);
    expect(await kube.get(Resources.namespace, 'whatever', 'clusters')).toBeDefined();
  });

  it('tells a watcher of every write and serves container logs', async () => {
    const kube = withDemo();
    const seen: string[] = [];
    kube.onWrite = (verb, type, obj) => seen.push(`${verb} ${type.kind} ${obj.metadata.name}`);
    await kube.create(Resources.nodePool, 'clusters', nodePool('demo-a', 'demo', 2));
    await kube.mergePatch(HC, 'clusters', 'demo', { spec: { pausedUntil: null } });
    expect(seen).toEqual(['create NodePool demo-a', 'patch HostedCluster demo']);
    kube.logs.set('clusters-demo/etcd-0/etcd', 'started');
    expect(await kube.readLog('clusters-demo', 'etcd-0', 'etcd')).toBe('started');
    expect(await kube.readLog('clusters-demo', 'etcd-0', 'etcd', { previous: true })).toBeUndefined();
  });
});

describe('object builders', () => {
  it('build clusters/demo objects with HyperShift kinds and merge metadata overrides', () => {
    expect(hostedCluster('demo', { metadata: { labels: { a: 'b' } }, spec: { x: 1 } })).toEqual({
      apiVersion: 'hypershift.openshift.io/v1beta1',
      kind: 'HostedCluster',
      metadata: { name: 'demo', namespace: 'clusters', labels: { a: 'b' } },
      spec: { x: 1 },
    });
    expect(nodePool('demo-a', 'demo', 3)['spec']).toEqual({ clusterName: 'demo', replicas: 3 });
    expect(secret('clusters', 's', { k: 'dg==' }, 'kubernetes.io/tls')).toMatchObject({
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      data: { k: 'dg==' },
    });
  });
});
