/**
 * The etcd image's CA trust store (hypershift-domain.md §1.7): etcd-init downloads the snapshot with
 * the image's own curl, which trusts the machine's system CAs only by default, not the sandbox's
 * https S3 front. A move or a restore to that endpoint is refused in preflight (exit 3, nothing
 * changed) where an etcd pod of the image can be asked; where none can, the restore warns, and
 * etcd-init's certificate error is what hcp-dr names. With the CA put into the image, both proceed.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, demoBackupUrl, demoMoveArgs, sandboxS3Flags, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;
const NAMESPACES = Resources.namespace;
const DEPLOYMENTS = Resources.deployment;
const TRUST = 'etcd image trusts the endpoint';

let sb: Sandbox;
let m1: ManagementCluster;
let m2: ManagementCluster;
let backupUrl: string;
let restoreEnv: (() => void) | undefined;

const restore = (...extra: string[]) =>
  runCliInProcess(['restore', backupUrl, '--kubeconfig', sb.kubeconfig, ...sandboxS3Flags(sb, { https: true }), ...extra]);
const move = (...extra: string[]) => runCliInProcess(demoMoveArgs(sb, 'sandbox', 'sandbox-2', ['--wait-timeout', '2m', ...extra]));

/** curl in pod etcd-0 of `etcd` (its image's trust store), as etcd-init runs it; exit code and stderr. */
async function imageCurl(etcd: EtcdCluster, url: string): Promise<{ code: number; stderr: string }> {
  const err: Buffer[] = [];
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const code = await etcd.execInMember(0, ['curl', '-sS', '-o', '/dev/null', url], { stdout: new PassThrough().resume(), stderr });
  return { code, stderr: Buffer.concat(err).toString() };
}

/** What a refused run must leave as it was: both HostedClusters and the source's control plane. */
const state = () =>
  JSON.stringify({
    hc1: m1.sim.store.get(HC, 'clusters', 'demo'),
    deployments: m1.sim.store.list(DEPLOYMENTS, 'clusters-demo').map((d) => [d.metadata.name, d['spec']]),
    hc2: m2.sim.store.get(HC, 'clusters', 'demo') ?? null,
    ns2: m2.sim.store.get(NAMESPACES, undefined, 'clusters-demo') ?? null,
  });

/** The trust row of a result's preflight (restore and move print `preflight: [{ name, ok, detail }]`). */
const trustRow = (stdout: string) =>
  (JSON.parse(stdout) as { preflight: { name: string; ok: boolean; detail: string }[] }).preflight.find((c) => c.name === TRUST);

beforeAll(async () => {
  // The default: no etcdImageTrustsS3Ca, the images trust the system CAs only.
  sb = await startSandbox({ clusters: 2, initBackoffMs: 1000 });
  [m1, m2] = sb.clusters as [ManagementCluster, ManagementCluster];
  restoreEnv = useSandboxCredentials(sb);
  await sb.etcd.put('/image-trust/key', 'kept');
  const run = await runCliInProcess(demoBackupArgs(sb, ['--yes', '-o', 'json'], { https: true }));
  expect(run.code, run.stderr).toBe(0);
  backupUrl = demoBackupUrl(sb, (JSON.parse(run.stdout) as { id: string }).id);
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  await sb?.stop();
});

describe('the etcd image trusts the system CAs only (sandbox)', () => {
  it("its curl refuses the sandbox's S3 CA: curl exit 60", async () => {
    const r = await imageCurl(sb.etcd, `${sb.s3.httpsEndpoint}/`);
    expect(r.code).toBe(60);
    expect(r.stderr).toMatch(/curl: \(60\) SSL certificate problem/);
    // The same server over plain http answers: what curl refuses is the certificate.
    expect((await imageCurl(sb.etcd, `${sb.s3.endpoint}/`)).code).toBe(0);
  });
});

describe('preflight refuses an endpoint the etcd image does not trust', () => {
  it('move: exit 3 in preflight, naming the CA and the ways out; nothing changed on either side', { timeout: 120_000 }, async () => {
    const before = state();
    const run = await move('--yes');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`${TRUST}: etcd pod clusters-demo/etcd-\\d.*curl exit 60`));
    expect(run.stderr).toMatch(/publicly trusted CA.*or an etcd image that trusts the endpoint's CA/);
    expect(run.stderr).not.toMatch(/X-Amz-Signature/);
    expect(state()).toBe(before);
  });

  it('move --dry-run shows the failed check', { timeout: 120_000 }, async () => {
    const run = await move('--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`${TRUST}: .*curl exit 60`));
  });

  it('restore --replace on the same management cluster: exit 3 before deleting anything', { timeout: 120_000 }, async () => {
    const before = state();
    const run = await restore('--replace', '--yes', '--wait-timeout', '1m');
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/failed to restore clusters\/demo: etcd pod clusters-demo\/etcd-\d.*curl exit 60/);
    expect(run.stderr).toMatch(/nothing was changed; .*publicly trusted CA/);
    expect(run.stderr).not.toMatch(/X-Amz-Signature/);
    expect(state()).toBe(before);
  });
});

describe('with the CA in the etcd image', () => {
  it('its curl trusts the endpoint, and move and restore pass the check', { timeout: 180_000 }, async () => {
    // Only the first management cluster's image: the second keeps the system CAs (the tests below).
    m1.operator!.trustInEtcdImage(sb.s3.caFile);
    expect((await imageCurl(sb.etcd, `${sb.s3.httpsEndpoint}/`)).code).toBe(0);
    const passed = /^etcd pod clusters-demo\/etcd-\d .*curl reached the endpoint over TLS \(HTTP \d{3}\)$/;
    const restored = await restore('--replace', '--yes', '--dry-run', '-o', 'json');
    expect(restored.code, restored.stderr).toBe(0);
    expect(trustRow(restored.stdout)).toMatchObject({ ok: true, detail: expect.stringMatching(passed) });
    const moved = await move('--dry-run', '-o', 'json');
    expect(moved.code, moved.stderr).toBe(0);
    expect(trustRow(moved.stdout)).toMatchObject({ ok: true, detail: expect.stringMatching(passed) });
  });
});

describe('where no etcd pod can be asked', () => {
  it('restore --dry-run on a cluster without etcd pods shows the check as not checked, with a warning', async () => {
    const run = await restore('--context', 'sandbox-2', '--dns-server', sb.dns!.address, '--force', '--dry-run', '-o', 'json');
    expect(run.code, run.stderr).toBe(0);
    expect(trustRow(run.stdout)).toMatchObject({ ok: true, detail: expect.stringMatching(/^not checked: no Running etcd pod/) });
    expect(run.stderr).toMatch(/--ca-bundle .*cannot check whether the etcd image trusts the endpoint's CA/);
  });

  it("the restore proceeds and etcd-init fails with curl's certificate error, which hcp-dr names", { timeout: 240_000 }, async () => {
    const run = await restore('--context', 'sandbox-2', '--dns-server', sb.dns!.address, '--force', '--wait-timeout', '2m');
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.stderr).toMatch(/cannot check whether the etcd image trusts the endpoint's CA/);
    expect(run.stderr).toMatch(
      /etcd-init in clusters-demo\/etcd-\d failed[^:\n]*: the etcd image's trust store does not trust the S3 endpoint's certificate .*\(curl exit 60\)/,
    );
  });
});
