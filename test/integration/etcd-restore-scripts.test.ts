/**
 * The pure parts of `etcd restore`: the restore flags every member gets (the full initial
 * cluster of HyperShift's peer names, its own name and peer URL, the run's token), the tool
 * probe's parsing, and how a helper pod that cannot start is told from one still starting.
 */
import { describe, expect, it } from 'vitest';
import { parseProbe, parseSha256, restoreArgs, volumePaths } from '../../src/core/etcd/restore-scripts.ts';
import { podProblem } from '../../src/core/etcd/restore-helpers.ts';

const paths = volumePaths('op1');
const flags = {
  member: 1,
  replicas: 3,
  controlPlaneNamespace: 'clusters-demo',
  token: 'hcp-dr-op1',
  skipHashCheck: false,
  bumpRevision: false,
};

describe('etcd restore flags', () => {
  it('give every member the full initial cluster, its own name and peer URL, and the run token', () => {
    const args = restoreArgs(paths, flags);
    expect(args).toContain(
      '--initial-cluster=etcd-0=https://etcd-0.etcd-discovery.clusters-demo.svc:2380,etcd-1=https://etcd-1.etcd-discovery.clusters-demo.svc:2380,etcd-2=https://etcd-2.etcd-discovery.clusters-demo.svc:2380',
    );
    expect(args).toContain('--name=etcd-1');
    expect(args).toContain('--initial-advertise-peer-urls=https://etcd-1.etcd-discovery.clusters-demo.svc:2380');
    expect(args).toContain('--initial-cluster-token=hcp-dr-op1');
    expect(args).toContain(`--data-dir=${paths.fresh}`);
    expect(args.some((a) => a.startsWith('--bump-revision') || a === '--skip-hash-check')).toBe(false);
  });

  it('add --skip-hash-check for a raw database and --bump-revision/--mark-compacted when the tool has them', () => {
    const args = restoreArgs(paths, { ...flags, skipHashCheck: true, bumpRevision: true });
    expect(args).toContain('--skip-hash-check');
    expect(args).toContain('--mark-compacted');
    expect(args.some((a) => /^--bump-revision=\d+$/.test(a))).toBe(true);
  });

  it('keep every path of the run on the member volume, named by the operation', () => {
    for (const p of Object.values(paths)) expect(p).toMatch(/^\/var\/lib\/hcp-dr-[a-z]+-op1/);
  });
});

describe('tool probe and checks', () => {
  it('reads etcdctl 3.4 without bump support, and etcdutl with it', () => {
    expect(parseProbe('tool=etcdctl\nversion=etcdctl version: 3.4.23\nbump=no\n')).toEqual({
      tool: 'etcdctl',
      version: '3.4.23',
      bumpRevision: false,
    });
    expect(parseProbe('tool=etcdutl\nversion=etcdutl version: 3.6.1\nbump=yes\n')?.bumpRevision).toBe(true);
    expect(parseProbe('sh: etcdctl: not found\n')).toBeUndefined();
  });

  it('reads sha256sum output', () => {
    const sum = 'a'.repeat(64);
    expect(parseSha256(`${sum}  /var/lib/hcp-dr-restore-op1.db\n`)).toBe(sum);
    expect(parseSha256('sha256sum: no such file\n')).toBeUndefined();
  });
});

describe('helper pod state', () => {
  const pod = (status: Record<string, unknown>) => ({ metadata: { name: 'hcp-dr-etcd-restore-0' }, status });
  it('a running, ready pod is fine', () => {
    expect(podProblem(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }))).toBeUndefined();
  });
  it('an image that cannot be pulled is fatal at once, with the reason', () => {
    const p = podProblem(
      pod({
        phase: 'Pending',
        containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
      }),
    );
    expect(p).toEqual({ text: 'ImagePullBackOff: Back-off pulling image', fatal: true });
  });
  it('a pod waiting for its volume is not fatal (it may start once the volume is free)', () => {
    const p = podProblem(pod({ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] }));
    expect(p?.fatal).toBe(false);
    expect(p?.text).toMatch(/ContainerCreating/);
  });
  it('a missing or failed pod is fatal', () => {
    expect(podProblem(undefined)?.fatal).toBe(true);
    expect(podProblem(pod({ phase: 'Failed', reason: 'Evicted' }))?.fatal).toBe(true);
  });
});
