import { describe, expect, it } from 'vitest';
import { Registry } from '../registry.ts';
import { parseFieldSelector, parseLabelSelector } from '../selectors.ts';
import { SimError } from '../status.ts';
import { MemoryStore } from '../store.ts';
import type { SimObject, StoreEvent } from '../types.ts';
import { Resources } from '../../../../src/core/model.ts';

const NS = Resources.namespace;
const CM = Resources.configMap;
const HC = Resources.hostedCluster;

function newStore(): MemoryStore {
  const s = new MemoryStore(new Registry());
  s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'clusters' } });
  return s;
}

function hc(name: string, extra: Partial<SimObject['metadata']> = {}): SimObject {
  return {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name, namespace: 'clusters', ...extra },
    spec: { release: { image: 'a' } },
  };
}

function thrown(fn: () => unknown): SimError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SimError) return e;
    throw e;
  }
  throw new Error('expected a SimError');
}

describe('MemoryStore', () => {
  it('fills server-owned metadata and bumps one global resourceVersion', () => {
    const s = newStore();
    const a = s.create(HC, hc('a'));
    const b = s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'clusters' }, data: { k: 'v' } });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(a.metadata.generation).toBe(1);
    expect(b.metadata.generation).toBeUndefined();
    expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(s.currentResourceVersion()).toBe(b.metadata.resourceVersion);
  });

  it('rejects duplicates with 409 AlreadyExists', () => {
    const s = newStore();
    s.create(HC, hc('a'));
    const e = thrown(() => s.create(HC, hc('a')));
    expect([e.code, e.reason, e.message]).toEqual([409, 'AlreadyExists', 'hostedclusters.hypershift.openshift.io "a" already exists']);
  });

  it('answers 409 Conflict on a stale resourceVersion and accepts the current one', () => {
    const s = newStore();
    const a = s.create(HC, hc('a'));
    const ok = s.update(HC, { ...a, spec: { release: { image: 'b' } } });
    expect(ok.metadata.generation).toBe(2);
    const e = thrown(() => s.update(HC, { ...a, spec: { release: { image: 'c' } } }));
    expect(e.code).toBe(409);
    expect(e.reason).toBe('Conflict');
    expect(e.message).toContain('the object has been modified');
  });

  it('does not bump generation for metadata or status changes, nor RV for no-op writes', () => {
    const s = newStore();
    const a = s.create(HC, hc('a'));
    const same = s.update(HC, a);
    expect(same.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    const b = s.mutate(HC, 'clusters', 'a', (o) => {
      o.metadata.labels = { x: 'y' };
      o['status'] = { conditions: [] };
    });
    expect(b.metadata.generation).toBe(1);
    expect(b.metadata.resourceVersion).not.toBe(a.metadata.resourceVersion);
  });

  it('keeps an object with finalizers until the last one is removed', () => {
    const s = newStore();
    const events: StoreEvent[] = [];
    s.subscribe((e) => events.push(e));
    s.create(HC, hc('a', { finalizers: ['hypershift.openshift.io/finalizer', 'other'] }));
    s.delete(HC, 'clusters', 'a');
    const marked = s.get(HC, 'clusters', 'a');
    expect(marked?.metadata.deletionTimestamp).toBeTruthy();
    s.mutate(HC, 'clusters', 'a', (o) => (o.metadata.finalizers = ['other']));
    expect(s.get(HC, 'clusters', 'a')?.metadata.deletionTimestamp).toBe(marked?.metadata.deletionTimestamp);
    s.mutate(HC, 'clusters', 'a', (o) => (o.metadata.finalizers = []));
    expect(s.get(HC, 'clusters', 'a')).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED', 'DELETED']);
  });

  it('deleting a namespace deletes its objects and waits for finalizers', () => {
    const s = newStore();
    s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'clusters' } });
    s.create(HC, hc('a', { finalizers: ['f'] }));
    s.delete(NS, undefined, 'clusters');
    expect(s.get(CM, 'clusters', 'c')).toBeUndefined();
    expect((s.get(NS, undefined, 'clusters')?.['status'] as { phase: string }).phase).toBe('Terminating');
    s.mutate(HC, 'clusters', 'a', (o) => delete o.metadata.finalizers);
    expect(s.get(NS, undefined, 'clusters')).toBeUndefined();
  });

  it('lists with label selectors of every supported form', () => {
    const s = newStore();
    const mk = (name: string, labels: Record<string, string>) =>
      s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'clusters', labels } });
    mk('a', { app: 'etcd', tier: 'cp' });
    mk('b', { app: 'kas' });
    mk('c', { tier: 'dp' });
    const names = (sel: string) => s.list(CM, 'clusters', sel).map((o) => o.metadata.name);
    expect(names('app=etcd')).toEqual(['a']);
    expect(names('app==etcd')).toEqual(['a']);
    expect(names('app!=etcd')).toEqual(['b', 'c']);
    expect(names('app in (etcd,kas)')).toEqual(['a', 'b']);
    expect(names('tier notin (cp)')).toEqual(['b', 'c']);
    expect(names('tier')).toEqual(['a', 'c']);
    expect(names('!tier')).toEqual(['b']);
    expect(names('app,tier=cp')).toEqual(['a']);
    expect(thrown(() => parseLabelSelector('a b c')).code).toBe(400);
  });

  it('matches field selectors on dotted paths', () => {
    const m = parseFieldSelector('metadata.name=a,status.phase!=Failed');
    const o = (name: string, phase: string): SimObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, status: { phase } });
    expect([m(o('a', 'Running')), m(o('a', 'Failed')), m(o('b', 'Running'))]).toEqual([true, false, false]);
  });

  it('replays history after a resourceVersion and delivers nested writes in RV order', () => {
    const s = newStore();
    const start = Number(s.currentResourceVersion());
    const seen: string[] = [];
    s.subscribe((e) => {
      if (e.type === 'ADDED' && e.object.metadata.name === 'a') s.mutate(HC, 'clusters', 'a', (o) => (o.metadata.labels = { seen: 'yes' }));
    });
    s.subscribe((e) => seen.push(`${e.type}@${e.object.metadata.resourceVersion}`));
    s.create(HC, hc('a'));
    const rvs = seen.map((x) => Number(x.split('@')[1]));
    expect(rvs).toEqual([...rvs].sort((x, y) => x - y));
    expect(s.eventsSince(start)?.map((h) => h.event.type)).toEqual(['ADDED', 'MODIFIED']);
    expect(s.eventsSince(start + 1)?.map((h) => h.event.type)).toEqual(['MODIFIED']);
  });
});
