/**
 * The background half of `npm run sandbox -- up`: runs the sandbox until SIGTERM. Arguments: <state-file> [clusters] [etcd-version].
 * With several management clusters it is the move world: guest APIs and CAPI objects too.
 */
import { writeFile } from 'node:fs/promises';
import { startSandbox } from './sandbox.ts';
import { isEtcdVersion } from './etcd/versions.ts';

const stateFile = process.argv[2];
if (!stateFile) throw new Error('usage: daemon.ts <state-file>');
const clusters = Number(process.argv[3] ?? 1) || 1;
const etcdVersion = process.argv[4];
if (etcdVersion !== undefined && !isEtcdVersion(etcdVersion)) throw new Error(`daemon.ts: unknown etcd version ${etcdVersion}`);
const sandbox = await startSandbox({
  clusters,
  // The by-hand tour restores and moves over the https front: its etcd image trusts that CA.
  etcdImageTrustsS3Ca: true,
  ...(etcdVersion ? { etcdVersion } : {}),
  ...(clusters > 1 ? { guests: true, capi: true } : {}),
});
await writeFile(
  stateFile,
  JSON.stringify({
    pid: process.pid,
    kubeconfig: sandbox.kubeconfig,
    envFile: sandbox.envFile,
    dir: sandbox.dir,
    s3Endpoint: sandbox.s3.endpoint,
    s3HttpsEndpoint: sandbox.s3.httpsEndpoint,
    s3CaBundle: sandbox.s3.caFile,
    bucket: sandbox.s3.bucket,
    etcdVersion: sandbox.etcd.version,
    contexts: sandbox.clusters.map((c) => c.context),
    ...(sandbox.dns ? { dnsServer: sandbox.dns.address, domain: sandbox.domain } : {}),
  }),
  { mode: 0o600 },
);
const shutdown = async () => {
  await sandbox.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
setInterval(() => undefined, 1 << 30);
