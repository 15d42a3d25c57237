/**
 * `--help` and `version` must not load the Kubernetes client or the AWS SDK (they cost hundreds
 * of milliseconds); commands that talk to a cluster must. Checked twice:
 *  - on the source, with Node's module hooks recording every module the import graph resolves;
 *  - on the checkout build (dist/hcp-dr.cjs, the release binary's loader and bundles), whose
 *    loader reports each lazily loaded bundle and whether V8 took the trained code cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sandbox/sandbox.ts';
import { NODE_FLAGS } from '../../plugin/sea-loader.ts';

const source = path.join(REPO_ROOT, 'src/main.ts');
const loader = path.join(REPO_ROOT, 'dist/hcp-dr.cjs');
const hook = path.join(REPO_ROOT, 'test/support/trace-modules.mjs');
const light = [['--help'], ['version'], ['backup', '--help'], ['etcd', 'status', '--help']];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-lazy-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(user: string): string {
  const file = path.join(dir, `kc-${Math.random()}`);
  writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
  );
  return file;
}
const statusWith = (user: string) => ['etcd', 'status', 'demo', '--kubeconfig', kubeconfig(user), '--request-timeout', '2s'];
const TOKEN_USER = '{token: abc}';
const EXEC_USER = '{exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/false}}';

function modulesResolvedBy(args: string[]): string[] {
  const trace = path.join(dir, `trace-${Math.random()}`);
  spawnSync(process.execPath, ['--import', hook, source, ...args], {
    env: { ...process.env, HCP_DR_TRACE_FILE: trace, KUBECONFIG: path.join(dir, 'none') },
    encoding: 'utf8',
  });
  return existsSync(trace) ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : [];
}
const heavy = (urls: string[]) => urls.filter((u) => /@kubernetes\/client-node|@aws-sdk\//.test(u));

/** The loader's report: `code cache <state>` and `loaded <module>` lines. */
function loaderReport(args: string[]): { cache: string; loaded: string[] } {
  // As plugin/kubectl-hcp_dr runs it: V8 takes the cache only under the flags it was trained with.
  const r = spawnSync(process.execPath, [...NODE_FLAGS, loader, ...args], {
    env: { ...process.env, HCP_DR_LOADER_DEBUG: '1', KUBECONFIG: path.join(dir, 'none') },
    encoding: 'utf8',
  });
  const lines = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('hcp-dr loader: '))
    .map((l) => l.slice('hcp-dr loader: '.length));
  return {
    cache: lines.find((l) => l.startsWith('code cache '))?.slice('code cache '.length) ?? 'not reported',
    loaded: lines.filter((l) => l.startsWith('loaded ')).map((l) => l.slice('loaded '.length)),
  };
}

describe('lazy loading of the SDKs, on the source import graph', () => {
  it('--help and version load neither client-node nor the AWS SDK', () => {
    for (const args of light) {
      const urls = modulesResolvedBy(args);
      expect(urls.length, `nothing traced for ${args.join(' ')}`).toBeGreaterThan(3);
      expect(heavy(urls), args.join(' ')).toEqual([]);
    }
  });

  it('a token kubeconfig never loads client-node; an exec-plugin user does (so the check above can fail)', () => {
    expect(heavy(modulesResolvedBy(statusWith(TOKEN_USER)))).toEqual([]);
    expect(heavy(modulesResolvedBy(statusWith(EXEC_USER))).some((u) => u.includes('@kubernetes/client-node'))).toBe(true);
  });
});

describe('lazy loading on the checkout build (npm test builds it first)', () => {
  it('the loader exists', () => expect(existsSync(loader), 'run npm run build').toBe(true));

  it('--help and version run from the main bundle with the trained code cache, loading no adapter bundle', () => {
    for (const args of light) expect(loaderReport(args), args.join(' ')).toEqual({ cache: 'accepted', loaded: [] });
  });

  it('a cluster command loads its handler and the Kubernetes adapter, and client-node only for an exec-plugin user', () => {
    expect(loaderReport(statusWith(TOKEN_USER)).loaded).toEqual(['cli/commands/etcd/etcd-run', 'kube/session']);
    expect(loaderReport(statusWith(EXEC_USER)).loaded).toEqual(['cli/commands/etcd/etcd-run', 'kube/session', 'kube/client-node-auth']);
  });
});
