/** pods/log over HTTP: per-container logs, previous runs, tailLines, and kube-apiserver's 400s. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiSimulator, type RunningSimulator } from '../server.ts';

const PODS = { group: '', version: 'v1', plural: 'pods' };
let sim: RunningSimulator;

const log = async (pod: string, query = '') => {
  const res = await fetch(`${sim.url}/api/v1/namespaces/ns/pods/${pod}/log${query}`);
  const text = await res.text();
  return { code: res.status, text: res.status === 200 ? text : (JSON.parse(text) as { message: string }).message };
};

beforeAll(async () => {
  sim = await startApiSimulator();
  sim.store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } });
  sim.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'etcd-0', namespace: 'ns' },
    spec: { initContainers: [{ name: 'etcd-init' }], containers: [{ name: 'etcd' }, { name: 'healthz' }] },
  });
  sim.store.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'single', namespace: 'ns' },
    spec: { containers: [{ name: 'only' }] },
  });
});
afterAll(async () => sim.stop());

describe('pods/log', () => {
  it('answers the named container, the previous run with previous=true, and the last lines with tailLines', async () => {
    sim.logs.append('ns', 'etcd-0', 'etcd-init', 'first run\n');
    sim.logs.restart('ns', 'etcd-0', 'etcd-init');
    sim.logs.append('ns', 'etcd-0', 'etcd-init', 'line 1\nline 2\nline 3\n');
    expect(await log('etcd-0', '?container=etcd-init')).toEqual({ code: 200, text: 'line 1\nline 2\nline 3\n' });
    expect(await log('etcd-0', '?container=etcd-init&previous=true')).toEqual({ code: 200, text: 'first run\n' });
    expect(await log('etcd-0', '?container=etcd-init&tailLines=2')).toEqual({ code: 200, text: 'line 2\nline 3\n' });
    expect(await log('etcd-0', '?container=etcd')).toEqual({ code: 200, text: '' });
  });

  it('refuses like kube-apiserver: no container on a multi-container pod, an unknown container, no previous run', async () => {
    expect(await log('etcd-0')).toEqual({
      code: 400,
      text: 'a container name must be specified for pod etcd-0, choose one of: [etcd healthz] or one of the init containers: [etcd-init]',
    });
    expect(await log('etcd-0', '?container=nope')).toEqual({ code: 400, text: 'container nope is not valid for pod etcd-0' });
    expect(await log('etcd-0', '?container=healthz&previous=true')).toEqual({
      code: 400,
      text: 'previous terminated container "healthz" in pod "etcd-0" not found',
    });
    expect((await log('missing', '?container=etcd')).code).toBe(404);
  });

  it('a single-container pod needs no container name; a deleted pod takes its logs with it', async () => {
    sim.logs.append('ns', 'single', 'only', 'hello\n');
    expect(await log('single')).toEqual({ code: 200, text: 'hello\n' });
    sim.store.delete(PODS, 'ns', 'single');
    expect(sim.logs.get('ns', 'single', 'only')).toBeUndefined();
  });

  it('a namespace log source answers containers with no stored log', async () => {
    const off = sim.logs.setSource('ns', (pod, container) => (container === 'healthz' ? `source for ${pod}\n` : undefined));
    expect(await log('etcd-0', '?container=healthz')).toEqual({ code: 200, text: 'source for etcd-0\n' });
    off();
    expect(await log('etcd-0', '?container=healthz')).toEqual({ code: 200, text: '' });
  });
});
