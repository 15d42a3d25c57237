/** `npm run sandbox -- up --clusters 2`: one kubeconfig with a context per management cluster; bad counts refused. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promises as dnsPromises } from 'node:dns';
import yaml from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sandbox/sandbox.ts';
import { isAlive, KUBECTL, runAsync } from '../support/spawn.ts';

let stateDir = '';
const run = (...args: string[]) =>
  runAsync(process.execPath, [path.join(REPO_ROOT, 'test/sandbox/cli.ts'), ...args], { ...process.env, HCP_DR_SANDBOX_STATE: stateDir });

afterAll(async () => {
  await run('down');
  if (stateDir) await rm(path.dirname(stateDir), { recursive: true, force: true });
});

describe('sandbox CLI with several management clusters', () => {
  it('up --clusters 0 is refused with a one-line error and exit 2, starting nothing', async () => {
    stateDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-sbcli2-')), 'state');
    const r = await run('up', '--clusters', '0');
    expect([r.code, r.stderr.trim()]).toEqual([2, 'sandbox: --clusters takes a whole number from 1 to 5']);
    expect(existsSync(path.join(stateDir, 'state.json'))).toBe(false);
  });

  it(
    'up --clusters 2 gives one kubeconfig with a context per management cluster, each its own API server',
    { timeout: 180_000 },
    async () => {
      const up = await run('up', '--clusters', '2');
      expect(up.code, up.out).toBe(0);
      expect(up.out).toContain('management clusters (contexts): sandbox, sandbox-2; one S3 server for all');
      const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as {
        pid: number;
        kubeconfig: string;
        dir: string;
        contexts: string[];
        dnsServer: string;
      };
      expect(state.contexts).toEqual(['sandbox', 'sandbox-2']);
      // The DNS server the external-DNS stand-ins fill: the seeded demo's API hostname points at the first cluster.
      expect(up.out).toContain(`DNS server: ${state.dnsServer}, $HCP_DR_DNS_SERVER (dig @127.0.0.1 -p `);
      const resolver = new dnsPromises.Resolver({ timeout: 1000, tries: 2 });
      resolver.setServers([state.dnsServer]);
      let api: string[] = [];
      for (let i = 0; i < 100 && api[0] !== '127.0.0.11'; i++) {
        api = await resolver.resolve4('api-demo.hcp.example.com').catch(() => []);
        if (api[0] !== '127.0.0.11') await new Promise((r) => setTimeout(r, 100));
      }
      expect(api).toEqual(['127.0.0.11']);
      const config = yaml.load(readFileSync(state.kubeconfig, 'utf8')) as {
        'current-context': string;
        contexts: { name: string; context: { cluster: string } }[];
        clusters: { name: string; cluster: { server: string } }[];
      };
      expect(config['current-context']).toBe('sandbox');
      expect(config.contexts.map((c) => c.name)).toEqual(['sandbox', 'sandbox-2']);
      const servers = config.clusters.map((c) => c.cluster.server);
      expect(new Set(servers).size).toBe(2);
      if (KUBECTL) {
        const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: state.dir, KUBECONFIG: state.kubeconfig };
        const one = await runAsync(KUBECTL, ['get', 'hc', '-A', '-o', 'name'], env);
        const two = await runAsync(KUBECTL, ['--context', 'sandbox-2', 'get', 'deploy', 'operator', '-n', 'hypershift', '-o', 'name'], env);
        const none = await runAsync(KUBECTL, ['--context', 'sandbox-2', 'get', 'hc', '-A', '-o', 'name'], env);
        expect([one.code, one.stdout]).toEqual([0, 'hostedcluster.hypershift.openshift.io/demo\n']);
        expect([two.code, two.stdout]).toEqual([0, 'deployment.apps/operator\n']);
        expect([none.code, none.stdout]).toEqual([0, '']);
      }
      const down = await run('down');
      expect(down.code).toBe(0);
      expect(isAlive(state.pid)).toBe(false);
      expect(existsSync(state.dir)).toBe(false);
    },
  );
});
