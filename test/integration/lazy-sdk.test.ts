/**
 * `--help` and `version` must not load the Kubernetes client or the AWS SDK (they cost hundreds
 * of milliseconds); commands that talk to a cluster must. Checked on the checkout bundle with
 * Node's module hooks recording every resolved module.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sandbox/sandbox.ts';

const bundle = path.join(REPO_ROOT, 'dist/hcp-dr.mjs');
const hook = path.join(REPO_ROOT, 'test/support/trace-modules.mjs');

function modulesLoadedBy(args: string[]): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-trace-'));
  try {
    const trace = path.join(dir, 'trace');
    spawnSync(process.execPath, ['--import', hook, bundle, ...args], { env: { ...process.env, HCP_DR_TRACE_FILE: trace, KUBECONFIG: path.join(dir, 'none') }, encoding: 'utf8' });
    return existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const heavy = (urls: string[]) => urls.filter((u) => /@kubernetes\/client-node|@aws-sdk\//.test(u));

describe('lazy loading of the SDKs (on the bundle npm test builds first)', () => {
  it('the bundle exists', () => expect(existsSync(bundle), 'run npm run build').toBe(true));

  it('--help and version load neither client-node nor the AWS SDK', () => {
    for (const args of [['--help'], ['version'], ['backup', '--help'], ['etcd', 'status', '--help']]) {
      const urls = modulesLoadedBy(args);
      expect(urls.length, `nothing traced for ${args.join(' ')}`).toBeGreaterThan(3);
      expect(heavy(urls), args.join(' ')).toEqual([]);
    }
  });

  it('a token kubeconfig never loads client-node; an exec-plugin user does (so the check above can fail)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-kc-'));
    try {
      const kubeconfig = (user: string) => {
        const file = path.join(dir, `kc-${Math.random()}`);
        writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
        return file;
      };
      const token = modulesLoadedBy(['etcd', 'status', 'demo', '--kubeconfig', kubeconfig('{token: abc}'), '--request-timeout', '2s']);
      expect(heavy(token)).toEqual([]);
      const exec = modulesLoadedBy(['etcd', 'status', 'demo', '--kubeconfig', kubeconfig('{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false}}'), '--request-timeout', '2s']);
      expect(heavy(exec).some((u) => u.includes('@kubernetes/client-node'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
