/**
 * issue 21.6: a restore on another management cluster checks that the source no longer serves the
 * API hostname (resolved through the configured resolver; something answering on the API port) or
 * requires --force; on the backup's own management cluster it asks nothing.
 */
import { describe, expect, it } from 'vitest';
import { apiEndpoint, checkSourceGone } from '../../../src/core/restore/source-gone.ts';
import type { SourceProbe } from '../../../src/core/contracts/restore.ts';
import { sameManagementCluster } from '../../../src/core/controlplane/management-cluster.ts';
import type { RestoreBundle } from '../../../src/core/contracts/restore.ts';

function bundle(type: 'Route' | 'LoadBalancer' = 'Route'): RestoreBundle {
  const strategy =
    type === 'Route' ? { type, route: { hostname: 'api.demo.example.com' } } : { type, loadBalancer: { hostname: 'api.demo.example.com' } };
  return {
    url: 's3://b/x/',
    manifest: { hostedCluster: { namespace: 'clusters', name: 'demo', apiServerHostname: null } } as unknown as RestoreBundle['manifest'],
    hostedCluster: {
      apiVersion: 'v1',
      kind: 'HostedCluster',
      metadata: { name: 'demo' },
      spec: { services: [{ service: 'APIServer', servicePublishingStrategy: strategy }] },
    },
    nodePools: [],
    objects: [],
  };
}

/** DNS answers and TCP listeners as a table; records every question. */
function probe(dns: Record<string, string[]>, listening: string[]): SourceProbe & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolver: {
      describe: () => 'DNS server 127.0.0.1:5353',
      resolve4: async (host) => {
        asked.push(`dns ${host}`);
        return dns[host] ?? [];
      },
    },
    answers: async (address, port) => {
      asked.push(`tcp ${address}:${port}`);
      return listening.includes(`${address}:${port}`);
    },
  };
}

async function run(same: boolean | undefined, p: SourceProbe, force = false, b = bundle()) {
  const checks: { name: string; detail: string }[] = [];
  const warnings: string[] = [];
  await checkSourceGone(b, same, p, force, (name, detail) => checks.push({ name, detail }), warnings);
  return { checks, warnings };
}

describe('the source no longer serves its API hostname', () => {
  it('is refused (exit 3, hint naming --force) when the name resolves and something answers on the API port', async () => {
    const p = probe({ 'api.demo.example.com': ['10.0.0.5'] }, ['10.0.0.5:443']);
    await expect(run(false, p)).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(
        /api\.demo\.example\.com still resolves to 10\.0\.0\.5 through DNS server 127\.0\.0\.1:5353 and 10\.0\.0\.5 answers on port 443/,
      ),
      hint: expect.stringMatching(/--force/),
    });
  });

  it('with --force is a warning, and the check says it was not proven', async () => {
    const p = probe({ 'api.demo.example.com': ['10.0.0.5'] }, ['10.0.0.5:443']);
    const { checks, warnings } = await run(false, p, true);
    expect(checks[0]?.detail).toMatch(/^not proven \(--force\)/);
    expect(warnings[0]).toMatch(/the source may still serve/);
  });

  it('passes when the name does not resolve, or nothing answers there; a LoadBalancer API is asked on 6443', async () => {
    expect((await run(false, probe({}, []))).checks[0]?.detail).toMatch(/does not resolve/);
    const silent = probe({ 'api.demo.example.com': ['10.0.0.5'] }, ['10.0.0.5:6443']);
    expect((await run(undefined, silent)).checks[0]?.detail).toMatch(/nothing answers on port 443/);
    expect(apiEndpoint(bundle('LoadBalancer'))).toEqual({ host: 'api.demo.example.com', port: 6443 });
  });

  it("asks nothing on the backup's own management cluster", async () => {
    const p = probe({ 'api.demo.example.com': ['10.0.0.5'] }, ['10.0.0.5:443']);
    expect((await run(true, p)).checks).toEqual([]);
    expect(p.asked).toEqual([]);
  });

  it('same vs other management cluster comes from the kube-system UID backup.json records', () => {
    const ns = (uid: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid } });
    expect(sameManagementCluster({ kubeSystemUid: 'a' }, ns('a'))).toBe(true);
    expect(sameManagementCluster({ kubeSystemUid: 'a' }, ns('b'))).toBe(false);
    expect(sameManagementCluster(undefined, ns('b'))).toBeUndefined();
  });
});
