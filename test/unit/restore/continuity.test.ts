import { describe, expect, it } from 'vitest';
import { captureRestoreInputs } from '../../../src/core/capture/capture.ts';
import { CONTROL_PLANE_CA_SECRETS, IDENTITY_SECRETS } from '../../../src/core/bundle/control-plane-secrets.ts';
import { ForbiddenError } from '../../../src/core/errors.ts';
import { Resources, type KubeObject } from '../../../src/core/model.ts';
import { applyObjects } from '../../../src/core/restore/apply.ts';
import { desiredObjects } from '../../../src/core/restore/objects.ts';
import { preflight } from '../../../src/core/restore/preflight.ts';
import type { RestoreBundle } from '../../../src/core/contracts/restore.ts';
import { FakeKube } from '../../support/fakes/kube.ts';
import { memoryReporter } from '../../support/fakes/clock.ts';
import { secret } from '../../support/fakes/objects.ts';
import { demoBundle, installOperator, URL } from './fixture.ts';

const target = { namespace: 'clusters', name: 'demo', snapshotUrl: URL, recordAnnotations: {} };
const run = (kube: FakeKube, bundle: RestoreBundle, replace = false) =>
  preflight({ api: kube, bundle, namespace: 'clusters', name: 'demo', replace, snapshotUrl: URL }, desiredObjects(bundle, target));

describe('restore: the control plane identity', () => {
  it('a backup with every CA and the service-account key passes without a warning', async () => {
    const kube = new FakeKube();
    installOperator(kube);
    const { preflight: pre } = await run(kube, demoBundle({ pki: [...IDENTITY_SECRETS, 'kas-server-crt'] }));
    expect(pre.warnings.join('\n')).not.toMatch(/does not carry/);
    expect(pre.checks.find((c) => c.name === 'identity')?.detail).toMatch(/^12 of 12 .* 1 other control-plane Secrets$/);
  });

  it('an older backup (root-ca, etcd-signer, sa-signing-key) warns, naming what is re-generated and what breaks', async () => {
    const kube = new FakeKube();
    installOperator(kube);
    const { preflight: pre } = await run(kube, demoBundle());
    const warning = pre.warnings.find((w) => w.includes('does not carry')) ?? '';
    for (const n of ['csr-signer', 'kube-apiserver-to-kubelet-signer', 'konnectivity-signer', 'system-admin-signer'])
      expect(warning).toContain(n);
    expect(warning).toMatch(/kubelets.*konnectivity agents.*saved admin kubeconfigs/);
  });

  it('in place, identity Secrets still in the control-plane namespace count; with --replace they do not', async () => {
    const kube = new FakeKube();
    installOperator(kube);
    const bundle = demoBundle();
    for (const n of CONTROL_PLANE_CA_SECRETS)
      if (n !== 'root-ca' && n !== 'etcd-signer') kube.put(Resources.secret, secret('clusters-demo', n));
    expect((await run(kube, bundle)).preflight.warnings.join('\n')).not.toMatch(/does not carry/);
    expect((await run(kube, bundle, true)).preflight.warnings.join('\n')).toMatch(/does not carry .*csr-signer/);
  });

  it('keeps a re-issued leaf already there, but refuses a different CA', async () => {
    const kube = new FakeKube();
    installOperator(kube);
    kube.put(Resources.secret, secret('clusters-demo', 'kas-server-crt', { 'tls.crt': 'bmV3' }));
    const bundle = demoBundle({ pki: [...IDENTITY_SECRETS, 'kas-server-crt'] });
    const { planned } = await run(kube, bundle);
    expect(planned.find((p) => p.name === 'kas-server-crt')?.action).toBe('exists');
    const done = await applyObjects(
      { api: kube, reporter: memoryReporter(), skipHostedCluster: false, beforeCreate: () => undefined },
      desiredObjects(bundle, target).filter((d) => d.step !== 'hosted-cluster' && d.step !== 'node-pools'),
    );
    expect(done.find((p) => p.name === 'kas-server-crt')?.action).toBe('exists');
    expect(((await kube.get(Resources.secret, 'clusters-demo', 'kas-server-crt'))?.['data'] as { 'tls.crt': string })['tls.crt']).toBe(
      'bmV3',
    );
    kube.put(Resources.secret, secret('clusters-demo', 'csr-signer', { 'ca.crt': 'b3RoZXI=' }));
    await expect(run(kube, bundle)).rejects.toThrow(/Secret clusters-demo\/csr-signer already exists with other content/);
  });
});

describe('backup: capture of the control-plane namespace', () => {
  const hc: KubeObject = {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name: 'demo', namespace: 'clusters', uid: 'u1' },
    spec: { platform: { type: 'AWS' } },
  };

  it('carries the selection and records carried and excluded names', async () => {
    const kube = new FakeKube();
    for (const n of [...IDENTITY_SECRETS, 'admin-kubeconfig']) kube.put(Resources.secret, secret('clusters-demo', n));
    kube.put(Resources.secret, secret('clusters-demo', 'pull-secret', { '.dockerconfigjson': 'e30=' }, 'kubernetes.io/dockerconfigjson'));
    kube.put(Resources.secret, secret('clusters-other', 'csr-signer'));
    const capture = await captureRestoreInputs(kube, hc, 'clusters-demo', memoryReporter());
    const pki = capture.secrets.filter((s) => s.role === 'pki').map((s) => `${s.object.metadata.namespace}/${s.object.metadata.name}`);
    expect(pki).toEqual([...IDENTITY_SECRETS, 'admin-kubeconfig'].sort().map((n) => `clusters-demo/${n}`));
    expect(capture.controlPlaneSecrets.carried).toEqual([...IDENTITY_SECRETS, 'admin-kubeconfig'].sort());
    expect(capture.controlPlaneSecrets.excluded).toEqual([{ name: 'pull-secret', reason: expect.stringMatching(/docker config/) }]);
    expect(capture.secrets.every((s) => s.object.metadata.uid === undefined && s.object.metadata.resourceVersion === undefined)).toBe(true);
  });

  it('without "list secrets" reads the identity Secrets by name and warns', async () => {
    const kube = new FakeKube();
    for (const n of IDENTITY_SECRETS) kube.put(Resources.secret, secret('clusters-demo', n));
    kube.put(Resources.secret, secret('clusters-demo', 'admin-kubeconfig'));
    const list = kube.list.bind(kube);
    kube.list = async (type, ns, o) => {
      if (type.plural === 'secrets') throw new ForbiddenError('secrets is forbidden: cannot list resource "secrets"');
      return list(type, ns, o);
    };
    const reporter = memoryReporter();
    const capture = await captureRestoreInputs(kube, hc, 'clusters-demo', reporter);
    expect(capture.controlPlaneSecrets.carried).toEqual([...IDENTITY_SECRETS].sort());
    expect(reporter.lines.join('\n')).toMatch(/warn: cannot list Secrets in clusters-demo/);
  });
});
