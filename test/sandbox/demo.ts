/**
 * `npm run demo`: the main job on the built-in sandbox, as a user would run it. Starts the
 * sandbox, runs the plugin through the real kubectl's plugin mechanism (or directly when
 * kubectl is absent), and stops everything. Exit 0 when every step behaved as expected.
 */
import path from 'node:path';
import { REPO_ROOT, startSandbox } from './sandbox.ts';
import { KUBECTL as kubectl, runAsync } from '../support/spawn.ts';

const started = Date.now();
// Two management clusters with DNS, external DNS, the hosted cluster's own API and CAPI objects: the move's world.
const sandbox = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true });
console.log(
  `sandbox up in ${((Date.now() - started) / 1000).toFixed(1)}s: two management clusters (API simulators), 3 etcd members, S3, DNS (all on 127.0.0.1)\n`,
);

const env = { ...process.env, ...sandbox.env, PATH: `${path.join(REPO_ROOT, 'plugin')}:${process.env['PATH'] ?? ''}`, HOME: sandbox.dir };
const bucket = `s3://${sandbox.s3.bucket}/hcp`;
const s3 = ['--endpoint', sandbox.s3.endpoint, '--path-style'];
// A move's restore needs an https snapshot URL (HyperShift's CRD): the S3 server's https front.
const move = [
  'move',
  'demo',
  '-n',
  'clusters',
  '--context',
  'sandbox',
  '--to-context',
  'sandbox-2',
  '--via',
  `s3://${sandbox.s3.bucket}/moves`,
];
const moveFlags = [
  '--endpoint',
  sandbox.s3.httpsEndpoint,
  '--ca-bundle',
  sandbox.s3.caFile,
  '--path-style',
  '--dns-server',
  sandbox.dns!.address,
];
type Step = { args: string[] | (() => string[]); expect: number[] };
let lastBackupUrl = '';
const steps: Step[] = [
  { args: ['etcd', 'status', 'demo', '-n', 'clusters'], expect: [0] },
  { args: ['etcd', 'status', '-A'], expect: [0] },
  { args: ['backup', 'demo', '-n', 'clusters', '--to', bucket, ...s3, '--dry-run'], expect: [0] },
  { args: ['backup', 'demo', '-n', 'clusters', '--to', bucket, ...s3, '--yes'], expect: [0] },
  { args: ['backup', 'list', '--from', bucket, ...s3], expect: [0] },
  { args: () => ['backup', 'verify', lastBackupUrl, ...s3], expect: [0] },
  { args: ['resume', 'demo', '-n', 'clusters'], expect: [0] },
  { args: [...move, ...moveFlags, '--dry-run'], expect: [0] },
  { args: [...move, ...moveFlags, '--yes'], expect: [0] },
  { args: ['etcd', 'status', 'demo', '-n', 'clusters', '--context', 'sandbox-2'], expect: [0] },
];

let failed = 0;
try {
  for (const step of steps) {
    const args = typeof step.args === 'function' ? step.args() : step.args;
    const [cmd, argv] = kubectl ? [kubectl, ['hcp-dr', ...args]] : [path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr'), args];
    console.log(`$ kubectl hcp-dr ${args.join(' ')}`);
    const t0 = Date.now();
    // Asynchronous on purpose: the sandbox runs in this process and must keep serving.
    const result = await runAsync(cmd, argv, env);
    process.stdout.write(result.stdout);
    process.stdout.write(result.stderr.replace(/^/gm, '  (stderr) ').replace(/ {2}\(stderr\) $/, ''));
    const ok = step.expect.includes(result.code ?? -1);
    console.log(`# exit ${result.code} in ${Date.now() - t0} ms${ok ? '' : ` (expected ${step.expect.join(' or ')})`}\n`);
    if (!ok) failed++;
    lastBackupUrl = /^BACKUP\s+(s3:\/\/\S+)/m.exec(result.stdout)?.[1] ?? lastBackupUrl;
  }
} finally {
  await sandbox.stop();
  console.log('sandbox stopped; nothing left behind');
}
process.exitCode = failed ? 1 : 0;
