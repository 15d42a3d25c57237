/**
 * `restore --replace` and `hypershift.openshift.io/cleanup-cloud-resources` (hypershift-domain.md §5) on
 * the sandbox with the stand-in cloud: refused before any change while the HostedCluster says "true"
 * and --cleanup-cloud-resources is absent; without the flag the annotation is "false" when the
 * HostedCluster is deleted and the guest's volumes, load balancers and registry storage stay; with the
 * flag they go. The deleted HostedCluster's machines are terminated (an ordinary deletion), so the
 * restored NodePools provision new ones: the restore waits until they are Ready nodes and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, demoBackupUrl, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { RestoreResult } from '../../src/core/contracts/restore.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const CLEANUP = 'hypershift.openshift.io/cleanup-cloud-resources';
const INFRA = 'demo-x7k2p';

let sb: Sandbox;
let backupUrl: string;
let restoreEnv: (() => void) | undefined;
/** The cleanup annotation each time a HostedCluster clusters/demo was marked deleted. */
const atDelete: (string | undefined)[] = [];

const restore = (...extra: string[]) =>
  runCliInProcess([
    'restore',
    backupUrl,
    '--kubeconfig',
    sb.kubeconfig,
    ...sandboxS3Flags(sb, { https: true }),
    '--wait-timeout',
    '2m',
    '--replace',
    '--yes',
    '-o',
    'json',
    ...extra,
  ]);
const annotate = (value: string | undefined) =>
  sb.sim.store.mutate(HC, 'clusters', 'demo', (o) => {
    const a = { ...(o.metadata.annotations ?? {}) };
    if (value === undefined) delete a[CLEANUP];
    else a[CLEANUP] = value;
    o.metadata.annotations = a;
  });
const present = () =>
  sb
    .cloud!.resources(INFRA)
    .filter((r) => r.state === 'present')
    .map((r) => r.kind)
    .sort();

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 1, capi: true, guests: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  await sb.etcd.put('/cleanup-test/alpha', 'one');
  const run = await runCliInProcess(demoBackupArgs(sb, ['--yes', '-o', 'json'], { https: true }));
  expect(run.stderr).not.toMatch(/^error:/m);
  backupUrl = demoBackupUrl(sb, (JSON.parse(run.stdout) as BackupManifest).id);
  sb.sim.store.subscribe((e) => {
    if (e.resource.plural !== 'hostedclusters' || e.object.metadata.name !== 'demo') return;
    if (e.object.metadata.deletionTimestamp && !e.old?.metadata.deletionTimestamp) atDelete.push(e.object.metadata.annotations?.[CLEANUP]);
  });
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const poll = () =>
      present().length ? resolve() : Date.now() > deadline ? reject(new Error('no guest resources')) : setTimeout(poll, 100);
    poll();
  });
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

describe('restore --replace and cleanup-cloud-resources', { timeout: 240_000 }, () => {
  it('refuses before any change while the HostedCluster has cleanup-cloud-resources "true" and --cleanup-cloud-resources is absent', async () => {
    annotate('true');
    const before = JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'));
    const run = await restore();
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^error: failed to restore clusters\/demo: the existing HostedCluster has hypershift\.openshift\.io\/cleanup-cloud-resources: "true"/m,
    );
    expect(run.stderr).toMatch(/^hint: .*etcd restore demo -n clusters --from-backup .*--cleanup-cloud-resources/m);
    expect(JSON.stringify(sb.sim.store.get(HC, 'clusters', 'demo'))).toBe(before);
    expect(atDelete).toEqual([]);
    expect(present()).toEqual(['load-balancer', 'registry-storage', 'volume', 'volume']);
  });

  it('without the flag (annotation not "true"): sets it to "false" before the delete; the guest cloud resources are kept', async () => {
    annotate(undefined);
    const run = await restore();
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as RestoreResult;
    expect(r.verdict.state).toBe('Restored');
    expect(r.preflight.find((c) => c.name === 'cloud-resources')?.detail).toMatch(/^kept: .* set to "false"/);
    expect(atDelete).toEqual(['false']);
    expect(present()).toEqual(['load-balancer', 'registry-storage', 'volume', 'volume']);
    // The nodes: the old instances went with the deleted cluster; the NodePool's new ones are Ready.
    expect(r.nodes).toMatchObject({ state: 'Ready', expected: 2, ready: 2, total: 2 });
    const instances = sb.cloud!.instances(INFRA);
    expect(instances.filter((i) => i.state === 'running')).toHaveLength(2);
    expect(instances.some((i) => i.leaked)).toBe(false);
  });

  it('with --cleanup-cloud-resources over "true": the delete removes the guest cloud resources', async () => {
    annotate('true');
    const run = await restore('--cleanup-cloud-resources');
    expect(run.code, run.stderr).toBe(0);
    expect(atDelete).toEqual(['false', 'true']);
    expect(present()).toEqual([]);
  });
});
