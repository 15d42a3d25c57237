import { beforeEach, describe, expect, it } from 'vitest';
import { PreconditionError } from '../../../src/core/errors.ts';
import { Resources, type KubeObject } from '../../../src/core/model.ts';
import { applyObjects } from '../../../src/core/restore/apply.ts';
import { desiredObjects } from '../../../src/core/restore/objects.ts';
import { preflight } from '../../../src/core/restore/preflight.ts';
import type { RestoreBundle } from '../../../src/core/contracts/restore.ts';
import { FakeKube } from '../../support/fakes/kube.ts';
import { memoryReporter } from '../../support/fakes/clock.ts';
import { demoBundle, installOperator, KEY, URL } from './fixture.ts';

const record = {
  'hcp-dr.openshift.io/operation': JSON.stringify({
    id: 'r1',
    type: 'restore',
    backup: 's3://backups/hcp/clusters/demo/20261129T110000Z-abcdef/',
  }),
};

function plan(kube: FakeKube, bundle: RestoreBundle, replace = false) {
  const desired = desiredObjects(bundle, { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: record });
  return { desired, run: () => preflight({ api: kube, bundle, namespace: 'clusters', name: 'demo', replace, snapshotUrl: URL }, desired) };
}

const apply = (kube: FakeKube, desired: ReturnType<typeof desiredObjects>, skipHostedCluster = false) =>
  applyObjects({ api: kube, reporter: memoryReporter(), skipHostedCluster, beforeCreate: () => undefined }, desired);

describe('restore objects', () => {
  it('puts the HostedCluster after its Secrets and the PKI, with one URL, the original key, no pausedUntil and the restore annotations', () => {
    const desired = desiredObjects(demoBundle(), { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: record });
    const order = desired.map((d) => `${d.step}:${d.type.kind}:${d.object.metadata.namespace ?? ''}/${d.object.metadata.name}`);
    expect(order.indexOf('control-plane:Secret:clusters-demo/root-ca')).toBeLessThan(
      order.indexOf('hosted-cluster:HostedCluster:clusters/demo'),
    );
    expect(order.indexOf('cluster-data:Secret:clusters/demo-etcd-encryption-key')).toBeLessThan(
      order.indexOf('hosted-cluster:HostedCluster:clusters/demo'),
    );
    expect(order.at(-1)).toBe('node-pools:NodePool:clusters/demo-a');
    const hc = desired.find((d) => d.step === 'hosted-cluster')?.object as KubeObject;
    const spec = hc['spec'] as Record<string, any>;
    expect(spec['etcd'].managed.storage.restoreSnapshotURL).toEqual([URL]);
    expect(spec['pausedUntil']).toBeUndefined();
    expect(spec['secretEncryption'].aescbc.activeKey.name).toBe('demo-etcd-encryption-key');
    expect(hc.metadata.annotations?.['hypershift.openshift.io/restored-from-backup']).toBe('true');
    expect(JSON.parse(hc.metadata.annotations?.['hcp-dr.openshift.io/operation'] ?? '{}').type).toBe('restore');
    expect(hc.metadata.annotations?.['keep']).toBe('me');
    expect(hc.metadata.finalizers).toBeUndefined();
    expect(hc['status']).toBeUndefined();
    const np = desired.find((d) => d.step === 'node-pools')?.object as KubeObject;
    expect((np['spec'] as Record<string, unknown>)['pausedUntil']).toBeUndefined();
  });
});

describe('restore objects of a move --with-nodes', () => {
  it('puts the CAPI and platform objects in dependency order before the HostedCluster, in the new control-plane namespace, without status or finalizers', () => {
    const capi = (apiVersion: string, kind: string, name: string): KubeObject => ({
      apiVersion,
      kind,
      metadata: { name, namespace: 'clusters-demo', finalizers: ['x'], uid: 'u', ownerReferences: [{ kind: 'MachineSet', name: 'ms' }] },
      spec: {},
      status: { phase: 'Running' },
    });
    const bundle = {
      ...demoBundle(),
      controlPlane: [
        capi('cluster.x-k8s.io/v1beta1', 'Machine', 'm-1'),
        capi('infrastructure.cluster.x-k8s.io/v1beta2', 'AWSCluster', 'demo'),
        capi('cluster.x-k8s.io/v1beta1', 'Cluster', 'demo-x7k2p'),
        capi('example.com/v1', 'Unknown', 'skipped'),
      ],
    };
    const desired = desiredObjects(bundle, { namespace: 'other', name: 'demo', snapshotUrl: URL, recordAnnotations: record });
    const order = desired.map((d) => `${d.step}:${d.object.kind}`);
    const capiAt = ['Cluster', 'AWSCluster', 'Machine'].map((k) => order.indexOf(`control-plane:${k}`));
    expect(capiAt).toEqual([...capiAt].sort((a, b) => a - b));
    expect(Math.max(...capiAt)).toBeLessThan(order.indexOf('hosted-cluster:HostedCluster'));
    expect(order.join()).not.toContain('Unknown');
    const machine = desired.find((d) => d.object.kind === 'Machine')!.object;
    expect(machine.metadata.namespace).toBe('other-demo');
    expect(machine['status']).toBeUndefined();
    expect(machine.metadata.finalizers).toBeUndefined();
    expect(machine.metadata['ownerReferences']).toBeUndefined();
  });
});

describe('restore preflight and apply', () => {
  let kube: FakeKube;
  beforeEach(() => {
    kube = new FakeKube();
    installOperator(kube);
  });

  it('creates everything in order on an empty cluster, and a re-run accepts what is there', async () => {
    const { desired, run } = plan(kube, demoBundle());
    const { planned } = await run();
    expect(planned.every((p) => p.action === 'create')).toBe(true);
    await apply(kube, desired);
    const creates = kube.journal.filter((j) => j.startsWith('create'));
    expect(creates[0]).toBe('create Namespace clusters');
    expect(creates.indexOf('create Secret clusters-demo/sa-signing-key')).toBeLessThan(
      creates.indexOf('create HostedCluster clusters/demo'),
    );
    expect(creates.at(-1)).toBe('create NodePool clusters/demo-a');
    kube.journal.length = 0;
    const again = await apply(kube, desired, true);
    expect(again.every((p) => p.action === 'exists')).toBe(true);
    expect(kube.journal).toEqual([]);
  });

  it('refuses an existing HostedCluster without --replace, and plans its deletion with it', async () => {
    kube.put(Resources.hostedCluster, { apiVersion: 'x', kind: 'HostedCluster', metadata: { name: 'demo', namespace: 'clusters' } });
    kube.put(Resources.nodePool, {
      apiVersion: 'x',
      kind: 'NodePool',
      metadata: { name: 'demo-a', namespace: 'clusters' },
      spec: { clusterName: 'demo' },
    });
    await expect(plan(kube, demoBundle()).run()).rejects.toThrow(/already exists.*--replace|HostedCluster clusters\/demo already exists/);
    const { preflight: pre } = await plan(kube, demoBundle(), true).run();
    expect(pre.toDelete.map((o) => `${o.kind}/${o.name}`).sort()).toEqual(['HostedCluster/demo', 'NodePool/demo-a']);
    expect(kube.journal).toEqual([]);
  });

  it('refuses a leftover etcd PVC: etcd-init would keep its old data', async () => {
    kube.put(Resources.persistentVolumeClaim, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-etcd-1', namespace: 'clusters-demo' },
    });
    const err = await plan(kube, demoBundle())
      .run()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreconditionError);
    expect((err as Error).message).toMatch(/leftover etcd PVC data-etcd-1/);
  });

  it('refuses without a running HyperShift operator', async () => {
    await kube.delete(Resources.deployment, 'hypershift', 'operator');
    await expect(plan(kube, demoBundle()).run()).rejects.toThrow(/HyperShift operator/);
  });

  it('refuses a backup without the PKI secrets (an old backup) when they are not on the cluster either', async () => {
    await expect(plan(kube, demoBundle({ pki: ['root-ca'] })).run()).rejects.toThrow(
      /does not carry Secret clusters-demo\/etcd-signer, Secret clusters-demo\/sa-signing-key/,
    );
    for (const n of ['etcd-signer', 'sa-signing-key'])
      kube.put(Resources.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: n, namespace: 'clusters-demo' }, data: {} });
    const { planned } = await plan(kube, demoBundle({ pki: ['root-ca'] })).run();
    expect(planned.find((p) => p.name === 'etcd-signer')?.action).toBe('exists');
  });

  it('refuses a different encryption key already in the namespace (a wrong key), before any change', async () => {
    kube.put(Resources.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-etcd-encryption-key', namespace: 'clusters' },
      data: { key: Buffer.alloc(32, 9).toString('base64') },
    });
    await expect(plan(kube, demoBundle()).run()).rejects.toThrow(/demo-etcd-encryption-key already exists with other content/);
    expect(kube.journal).toEqual([]);
  });

  it('accepts the same key already there (identical object)', async () => {
    kube.put(Resources.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-etcd-encryption-key', namespace: 'clusters', labels: { extra: 'x' } },
      type: 'Opaque',
      data: { key: KEY },
    });
    const { planned } = await plan(kube, demoBundle()).run();
    expect(planned.find((p) => p.name === 'demo-etcd-encryption-key')?.action).toBe('exists');
  });

  it('names the Secrets an older backup lacks and the cluster does not have', async () => {
    await expect(plan(kube, demoBundle({ withPullSecret: false })).run()).rejects.toThrow(
      /does not carry Secret clusters\/demo-pull-secret/,
    );
    kube.put(Resources.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'demo-pull-secret', namespace: 'clusters' },
      data: {},
    });
    const { desired, run } = plan(kube, demoBundle({ withPullSecret: false }));
    expect((await run()).planned.find((p) => p.name === 'demo-pull-secret')?.action).toBe('exists');
    await apply(kube, desired);
    expect(kube.journal).not.toContain('create Secret clusters/demo-pull-secret');
  });

  it('requires a fixed APIServer hostname on another management cluster, and only warns on an unknown one', async () => {
    const services = [
      { service: 'APIServer', servicePublishingStrategy: { type: 'LoadBalancer' } },
      { service: 'OAuthServer', servicePublishingStrategy: { type: 'Route' } },
    ];
    const { preflight: pre } = await plan(kube, demoBundle({ services })).run();
    expect(pre.warnings.join('\n')).toMatch(/APIServer service has no fixed hostname/);
    expect(pre.warnings.join('\n')).toMatch(/OAuthServer without a fixed hostname/);
    kube.put(Resources.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: 'this-cluster-uid' } });
    const other = demoBundle({ services });
    other.manifest.managementCluster = { kubeSystemUid: 'some-other-uid' };
    await expect(plan(kube, other).run()).rejects.toThrow(/no fixed hostname/);
  });

  it('refuses a URL the CRD would refuse: http, or longer than 1024 characters', async () => {
    const bundle = demoBundle();
    const desired = desiredObjects(bundle, { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: record });
    const run = (snapshotUrl: string) =>
      preflight({ api: kube, bundle, namespace: 'clusters', name: 'demo', replace: false, snapshotUrl }, desired);
    await expect(run('http://s3/x')).rejects.toThrow(/https/);
    await expect(run(`${URL}&x=${'a'.repeat(1100)}`)).rejects.toThrow(/at most 1024/);
  });

  it("calls beforeCreate with what the run created so far, so the HostedCluster's record can name it", async () => {
    const { desired } = plan(kube, demoBundle());
    const seen: string[][] = [];
    await applyObjects(
      {
        api: kube,
        reporter: memoryReporter(),
        skipHostedCluster: false,
        beforeCreate: (d, created) => {
          if (d.step === 'hosted-cluster') seen.push([...created]);
        },
      },
      desired,
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual(
      expect.arrayContaining(['Namespace clusters-demo', 'Secret clusters-demo/root-ca', 'Secret clusters/demo-etcd-encryption-key']),
    );
    expect(seen[0]).not.toContain('HostedCluster clusters/demo');
  });

  it('names what it created when a later object is refused', async () => {
    const { desired } = plan(kube, demoBundle());
    const np = desired.find((d) => d.step === 'node-pools') as (typeof desired)[number];
    kube.put(Resources.nodePool, { ...np.object, spec: { clusterName: 'demo', replicas: 9 } });
    const err = (await apply(kube, desired).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/NodePool clusters\/demo-a.*this run created .*HostedCluster clusters\/demo/);
  });
});
