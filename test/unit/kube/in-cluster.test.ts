/**
 * Which configuration wins, as clientcmd decides (DeferredLoadingClientConfig): an explicit
 * --kubeconfig or --context always; a kubeconfig that selects a cluster always; the pod's
 * service-account environment only when no kubeconfig selects one and the environment is complete.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectKubeconfig } from '../../../src/kube/kubeconfig.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-in-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sa = path.join(dir, 'sa');
mkdirSync(sa);
writeFileSync(path.join(sa, 'token'), 'sa-token\n');
writeFileSync(path.join(sa, 'namespace'), 'hcp-dr-system\n');
writeFileSync(path.join(sa, 'ca.crt'), 'not read here');
const kubeconfig = path.join(dir, 'kubeconfig');
writeFileSync(
  kubeconfig,
  `apiVersion: v1
kind: Config
current-context: one
clusters: [{name: c1, cluster: {server: "https://one.example:6443"}}]
users: [{name: u1, user: {token: t}}]
contexts: [{name: one, context: {cluster: c1, user: u1}}]
`,
);
const noContext = path.join(dir, 'no-context');
writeFileSync(noContext, 'apiVersion: v1\nkind: Config\nclusters: [{name: c1, cluster: {server: "https://one.example"}}]\n');

const KEYS = ['KUBECONFIG', 'HOME', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'HCP_DR_SERVICEACCOUNT_DIR', 'POD_NAMESPACE'];
let saved: Record<string, string | undefined>;
beforeEach(() => {
  saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  for (const k of KEYS) delete process.env[k];
  process.env['HOME'] = path.join(dir, 'empty-home');
  process.env['KUBERNETES_SERVICE_HOST'] = '10.0.0.1';
  process.env['KUBERNETES_SERVICE_PORT'] = '443';
  process.env['HCP_DR_SERVICEACCOUNT_DIR'] = sa;
});
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe('in-cluster configuration', () => {
  it('is used when no kubeconfig exists: https://host:port, ca.crt, the token file, the namespace file', () => {
    const s = selectKubeconfig({});
    expect(s.inCluster).toBe(true);
    expect(s.cluster).toEqual({ server: 'https://10.0.0.1:443', 'certificate-authority': path.join(sa, 'ca.crt') });
    expect(s.user).toEqual({ tokenFile: path.join(sa, 'token') });
    expect(s.namespace).toBe('hcp-dr-system');
    process.env['POD_NAMESPACE'] = 'from-downward-api';
    expect(selectKubeconfig({}).namespace).toBe('from-downward-api');
    process.env['KUBERNETES_SERVICE_HOST'] = 'fd00::1';
    expect(selectKubeconfig({}).cluster.server).toBe('https://[fd00::1]:443');
  });

  it('is used when $KUBECONFIG names only missing files, or a kubeconfig without a current context', () => {
    process.env['KUBECONFIG'] = path.join(dir, 'absent');
    expect(selectKubeconfig({}).inCluster).toBe(true);
    process.env['KUBECONFIG'] = noContext;
    expect(selectKubeconfig({}).inCluster).toBe(true);
  });

  it('never replaces a kubeconfig that selects a cluster, an explicit --kubeconfig or --context; that kubeconfig takes the pod namespace when it has none', () => {
    process.env['KUBECONFIG'] = kubeconfig;
    const s = selectKubeconfig({});
    expect(s.inCluster).toBeUndefined();
    expect(s.cluster.server).toBe('https://one.example:6443');
    expect(s.namespace).toBe('hcp-dr-system');
    delete process.env['KUBECONFIG'];
    expect(() => selectKubeconfig({ kubeconfig: path.join(dir, 'absent') })).toThrow(/does not exist/);
    expect(() => selectKubeconfig({ context: 'x' })).toThrow(/no kubeconfig found/);
  });

  it('is not possible without both variables or without a token file, and the error says where it looked', () => {
    delete process.env['KUBERNETES_SERVICE_PORT'];
    expect(() => selectKubeconfig({})).toThrow(/no kubeconfig found.*empty-home/);
    process.env['KUBERNETES_SERVICE_PORT'] = '443';
    process.env['HCP_DR_SERVICEACCOUNT_DIR'] = path.join(dir, 'nothing-here');
    expect(() => selectKubeconfig({})).toThrow(/no kubeconfig found/);
    process.env['HCP_DR_SERVICEACCOUNT_DIR'] = dir; // a directory named "token" is not a token
    mkdirSync(path.join(dir, 'token'), { recursive: true });
    expect(() => selectKubeconfig({})).toThrow(/no kubeconfig found/);
  });

  it('without a namespace file, the namespace is "default"; without ca.crt, no CA is named', () => {
    const bare = path.join(dir, 'bare');
    mkdirSync(bare, { recursive: true });
    writeFileSync(path.join(bare, 'token'), 't');
    process.env['HCP_DR_SERVICEACCOUNT_DIR'] = bare;
    const s = selectKubeconfig({});
    expect(s.namespace).toBe('default');
    expect(s.cluster['certificate-authority']).toBeUndefined();
  });
});
