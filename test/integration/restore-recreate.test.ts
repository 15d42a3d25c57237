/**
 * A standalone restore whose etcd-init could not download the snapshot (the URL is immutable): the
 * restore names curl's failure, and `resume` re-creates the HostedCluster this restore created
 * (the one carrying its record) with a fresh pre-signed URL, ending verified by data. The store is
 * reached through a front of the test's own that cuts only curl's requests (etcd-init's download).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { demoBackupArgs, demoBackupUrl, useSandboxCredentials } from '../support/sandbox-s3.ts';
import type { BackupManifest } from '../../src/core/bundle/manifest.ts';
import { Resources } from '../../src/core/model.ts';

const HC = Resources.hostedCluster;

let sb: Sandbox;
let backupUrl: string;
let restoreEnv: (() => void) | undefined;
let server: https.Server;
let frontUrl = '';
let cutCurl = true;

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  const [key, cert] = await Promise.all([readFile(sb.etcd.tls.serverKey, 'utf8'), readFile(sb.etcd.tls.serverCert, 'utf8')]);
  const target = new URL(sb.s3.endpoint);
  server = https.createServer({ key, cert }, (req, res) => {
    if (cutCurl && /^curl\//.test(req.headers['user-agent'] ?? '')) return void req.socket.destroy();
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  frontUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await sb.etcd.put('/restore-recreate/key', 'kept');
  const run = await runCliInProcess(demoBackupArgs(sb, ['--online', '-o', 'json'], { https: true }));
  expect(run.stderr).not.toMatch(/^error:/m);
  backupUrl = demoBackupUrl(sb, (JSON.parse(run.stdout) as BackupManifest).id);
}, 120_000);

afterAll(async () => {
  restoreEnv?.();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await sb?.stop();
});

describe('restore: a failed snapshot download is continued by resume', () => {
  it(
    'names the curl failure; resume re-creates the HostedCluster it created, with a fresh URL, and verifies',
    { timeout: 240_000 },
    async () => {
      const s3 = ['--endpoint', frontUrl, '--ca-bundle', sb.s3.caFile, '--path-style'];
      const run = await runCliInProcess([
        'restore',
        backupUrl,
        '--kubeconfig',
        sb.kubeconfig,
        ...s3,
        '--replace',
        '--yes',
        '--wait-timeout',
        '2m',
      ]);
      expect(run.code, run.stderr).not.toBe(0);
      expect(run.stderr).toMatch(/etcd-init .*curl exit \d+/);
      const failedUid = sb.sim.store.get(HC, 'clusters', 'demo')?.metadata.uid;
      expect(failedUid).toBeDefined();
      cutCurl = false;
      const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, ...s3]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/re-creating the HostedCluster this restore created/);
      expect(resumed.stdout).toMatch(/restored clusters\/demo again from s3:\/\/.* with a fresh pre-signed URL/);
      const hc = sb.sim.store.get(HC, 'clusters', 'demo')!;
      expect(hc.metadata.uid).not.toBe(failedUid);
      expect(hc.metadata.annotations?.['hcp-dr.openshift.io/operation']).toBeUndefined();
      expect(await sb.clusters[0]!.operator!.etcd('clusters-demo')!.get('/restore-recreate/key')).toBe('kept');
    },
  );
});
