/**
 * `npm run sandbox -- up [--clusters N] [--etcd-version 3.4|3.5|3.6]|status|down`. `up` starts the sandbox in a background process
 * (the daemon) and returns once it is ready; `down` stops it and removes everything it made.
 * `--clusters N` starts N management clusters (one kubeconfig, a context each: sandbox, sandbox-2, ...)
 * sharing one S3 server; the first holds clusters/demo. `--etcd-version` picks the etcd release of every
 * member and of the etcd image (default HCP_DR_ETCD_VERSION, else the newest, 3.6).
 * State lives in .sandbox/ at the repository root (git-ignored).
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './sandbox.ts';
import { isAlive } from '../support/spawn.ts';
import { etcdAvailable, ETCD_VERSIONS, isEtcdVersion } from './etcd/versions.ts';

/** HCP_DR_SANDBOX_STATE lets tests use their own state directory. */
const stateDir = process.env['HCP_DR_SANDBOX_STATE'] ?? path.join(REPO_ROOT, '.sandbox');
const stateFile = path.join(stateDir, 'state.json');

interface DaemonState {
  pid: number;
  kubeconfig: string;
  envFile: string;
  dir: string;
  s3Endpoint: string;
  /** The same S3 server over https, and its CA (absent in states written before them). */
  s3HttpsEndpoint?: string;
  s3CaBundle?: string;
  bucket: string;
  /** Kubeconfig contexts, one per management cluster (absent in states written before --clusters). */
  contexts?: string[];
  /** The etcd release every member runs (absent in states written before --etcd-version). */
  etcdVersion?: string;
  /** The DNS server the management clusters' external DNS writes (127.0.0.1:<port>, $HCP_DR_DNS_SERVER) and its domain. */
  dnsServer?: string;
  domain?: string;
}

const readState = (): DaemonState | undefined =>
  existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as DaemonState) : undefined;

function describe(state: DaemonState): string {
  return [
    `sandbox running (pid ${state.pid}), all on 127.0.0.1${state.etcdVersion ? `, etcd ${state.etcdVersion}` : ''}`,
    `  kubeconfig: ${state.kubeconfig}`,
    `  env file:   ${state.envFile}   (S3 endpoint ${state.s3Endpoint}, bucket ${state.bucket})`,
    ...(state.s3HttpsEndpoint
      ? [`  S3 over https: ${state.s3HttpsEndpoint}, CA ${state.s3CaBundle} ($HCP_DR_S3_HTTPS_ENDPOINT, $HCP_DR_S3_CA_BUNDLE)`]
      : []),
    ...((state.contexts?.length ?? 0) > 1
      ? [`  management clusters (contexts): ${state.contexts!.join(', ')}; one S3 server for all`]
      : []),
    ...(state.dnsServer
      ? [
          `  DNS server: ${state.dnsServer}, $HCP_DR_DNS_SERVER (dig @127.0.0.1 -p ${state.dnsServer.split(':')[1]} api-demo.${state.domain ?? 'hcp.example.com'}; move --dns-server $HCP_DR_DNS_SERVER)`,
        ]
      : []),
    '  try:',
    `    source ${state.envFile}`,
    `    PATH=${path.join(REPO_ROOT, 'plugin')}:$PATH kubectl hcp-dr etcd status demo -n clusters`,
    `    kubectl hcp-dr backup demo -n clusters --to s3://${state.bucket}/hcp --endpoint ${state.s3Endpoint} --path-style --yes`,
    ...(state.s3HttpsEndpoint
      ? [
          `    kubectl hcp-dr backup list --from s3://${state.bucket}/hcp --endpoint $HCP_DR_S3_HTTPS_ENDPOINT --ca-bundle $HCP_DR_S3_CA_BUNDLE --path-style`,
          '    (restore and move take only https: use $HCP_DR_S3_HTTPS_ENDPOINT and --ca-bundle $HCP_DR_S3_CA_BUNDLE)',
          "    (this sandbox's etcd images trust that CA, as an image built for an internal CA would; a real cluster's may not)",
        ]
      : []),
  ].join('\n');
}

async function up(args: string[]): Promise<number> {
  const at = args.indexOf('--clusters');
  const clusters = at >= 0 ? Number(args[at + 1]) : 1;
  if (!Number.isInteger(clusters) || clusters < 1 || clusters > 5) {
    console.error('sandbox: --clusters takes a whole number from 1 to 5');
    return 2;
  }
  const ev = args.indexOf('--etcd-version');
  const etcdVersion = ev >= 0 ? args[ev + 1] : undefined;
  if (ev >= 0 && !isEtcdVersion(etcdVersion)) {
    console.error(`sandbox: --etcd-version takes one of ${ETCD_VERSIONS.join(', ')}`);
    return 2;
  }
  if (etcdVersion && isEtcdVersion(etcdVersion) && !etcdAvailable(etcdVersion)) {
    console.error(`sandbox: etcd ${etcdVersion} is not built; run test/setup.sh (or test/setup-etcd.sh)`);
    return 1;
  }
  const existing = readState();
  if (existing && isAlive(existing.pid)) {
    console.log(describe(existing));
    if (etcdVersion && existing.etcdVersion && existing.etcdVersion !== etcdVersion) {
      console.error(`sandbox: this one runs etcd ${existing.etcdVersion}; for ${etcdVersion}: npm run sandbox -- down, then up again`);
      return 1;
    }
    return 0;
  }
  await rm(stateDir, { recursive: true, force: true });
  await mkdir(stateDir, { recursive: true });
  const log = openSync(path.join(stateDir, 'daemon.log'), 'a');
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'test/sandbox/daemon.ts'), stateFile, String(clusters), ...(etcdVersion ? [etcdVersion] : [])],
    {
      detached: true,
      stdio: ['ignore', log, log],
    },
  );
  child.unref();
  while (Date.now() - started < 120_000) {
    const state = readState();
    if (state) {
      console.log(describe(state));
      console.error(`up in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return 0;
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error(`sandbox failed to start; see ${path.join(stateDir, 'daemon.log')}`);
  return 1;
}

async function down(): Promise<number> {
  const state = readState();
  if (state && isAlive(state.pid)) {
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + 20_000;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(state.pid)) process.kill(state.pid, 'SIGKILL');
  }
  await rm(stateDir, { recursive: true, force: true });
  console.log(state ? 'sandbox stopped; nothing left behind' : 'no sandbox was running');
  return 0;
}

function status(): number {
  const state = readState();
  if (!state || !isAlive(state.pid)) {
    console.log('sandbox is not running (npm run sandbox -- up)');
    return 3;
  }
  console.log(describe(state));
  return 0;
}

const verb = process.argv[2];
const run = verb === 'up' ? () => up(process.argv.slice(3)) : verb === 'down' ? down : verb === 'status' ? async () => status() : undefined;
if (!run) {
  console.error('usage: npm run sandbox -- up [--clusters N]|status|down');
  process.exitCode = 2;
} else {
  process.exitCode = await run();
}
