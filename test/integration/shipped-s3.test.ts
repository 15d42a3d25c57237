/**
 * What ships, through the S3 paths: the checkout's built loader (plugin/kubectl-hcp_dr runs
 * dist/hcp-dr.cjs, the same loader and bundles as the single binary) against the sandbox's
 * SigV4-checking S3 server behind an https front with its own CA, so `--ca-bundle` is exercised
 * in the bundle (a dynamic `import()` that worked from source once failed only there).
 * The single binary is run through the same paths in package.test.ts.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { runAsync } from '../support/spawn.ts';
import { startTlsFront, type TlsFront } from '../sandbox/net/tls-front.ts';

const PLUGIN = path.join(REPO_ROOT, 'plugin', 'kubectl-hcp_dr');

describe('the built loader through S3 over https with --ca-bundle', () => {
  let sb: Sandbox;
  let front: TlsFront;
  let out: string;
  let env: NodeJS.ProcessEnv;
  const s3 = () => ['--endpoint', front.url, '--ca-bundle', front.caFile, '--path-style'];
  const plugin = (...args: string[]) => runAsync(PLUGIN, args, env);

  beforeAll(async () => {
    sb = await startSandbox();
    front = await startTlsFront(sb.s3.endpoint);
    out = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-shipped-'));
    env = {
      PATH: process.env['PATH'],
      HOME: out,
      KUBECONFIG: sb.kubeconfig,
      AWS_ACCESS_KEY_ID: sb.s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey,
      AWS_REGION: sb.s3.region,
    };
  }, 120_000);
  afterAll(async () => {
    await front?.close();
    await sb?.stop();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('backs up, lists, verifies and exports from the backup', { timeout: 120_000 }, async () => {
    const backup = await plugin('backup', 'demo', '-n', 'clusters', '--to', `s3://${sb.s3.bucket}/shipped`, ...s3(), '--yes', '-o', 'json');
    expect(backup.stderr).not.toMatch(/^error:/m);
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(backup.stdout) as { id: string; snapshot: { sha256: string } };
    const url = `s3://${sb.s3.bucket}/shipped/clusters/demo/${manifest.id}/`;

    const list = await plugin('backup', 'list', '--from', `s3://${sb.s3.bucket}/shipped`, ...s3(), '-o', 'json');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(manifest.id);

    const verify = await plugin('backup', 'verify', url, ...s3());
    expect(verify.stderr).not.toMatch(/^error:/m);
    expect(verify.code).toBe(0);

    const tree = path.join(out, 'tree');
    const exported = await plugin('export', '--from-backup', url, ...s3(), '--out', tree);
    expect(exported.stderr).not.toMatch(/^error:/m);
    expect(exported.code).toBe(0);
    expect((await readdir(tree, { recursive: true })).some((f) => f.endsWith('.yaml'))).toBe(true);
  });

  it('without --ca-bundle the untrusted endpoint is refused with a certificate hint, not a crash', async () => {
    const list = await plugin('backup', 'list', '--from', `s3://${sb.s3.bucket}/shipped`, '--endpoint', front.url, '--path-style');
    expect(list.code).not.toBe(0);
    expect(list.stderr).not.toContain('this is a bug');
    expect(list.stderr).toMatch(/^hint: .*--ca-bundle/m);
  });
});
