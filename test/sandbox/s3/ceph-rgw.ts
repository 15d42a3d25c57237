/**
 * A real Ceph RGW for tests and benchmarks, from Debian's Ceph (Pacific 16.2 on bookworm; installed by
 * test/setup.sh): one mon, one OSD on memstore (objects live in the OSD's RAM), and radosgw with the
 * beast frontend, on 127.0.0.1 only, on free ports, with cephx. RGW answers over http and over https
 * with a server certificate signed by a CA generated at start (`caFile`, for --ca-bundle and curl).
 * A user with known keys and the requested buckets exist when start returns (~18 s from nothing).
 *
 * Contracts:
 *  - Everything lives under one temporary directory (config, keyrings, mon/OSD data, logs, pid files,
 *    TLS files), removed by stop().
 *  - Daemons run in the foreground, each under the watchdog of etcd/process.ts: EOF on its stdin (also
 *    when this process is SIGKILLed) kills the daemon. stop() kills every daemon by the PID in its pid
 *    file and waits until each is gone; a process 'exit' hook does the same synchronously, so no
 *    daemon outlives the test run, also when a test fails.
 *  - memstore keeps every stored byte in the OSD's RAM (1 GiB stored ≈ 1.7 GiB OSD RSS): callers keep
 *    objects small or size `memstoreBytes` (the OSD's reported capacity) for what they store.
 * Test support only: never part of the shipped binary.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePorts, releasePorts } from '../../support/ports.ts';
import { spawnWatched, type WatchedProcess } from '../etcd/process.ts';
import { cephConf, RGW, writeTls } from './ceph-config.ts';

const execFileP = promisify(execFile);

/** The Debian packages and the binaries this module needs. */
export const CEPH_PACKAGES = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common'];
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'ceph-authtool', 'monmaptool', 'openssl'];

/** The missing binaries (empty when Ceph is installed); test/setup.sh installs them. */
export function missingCephBinaries(): string[] {
  const dirs = (process.env['PATH'] ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/sbin']);
  return BINARIES.filter((b) => !dirs.some((d) => d && existsSync(path.join(d, b))));
}

export interface CephRgwOptions {
  /** Buckets created for the user at start. */
  buckets?: string[];
  /** The OSD's capacity (`memstore device bytes`); its RAM grows with what is stored. Default 1 GiB. */
  memstoreBytes?: number;
  /** Extra `[client.rgw.a]` settings (e.g. garbage collection timing for benchmarks). */
  rgwSettings?: Record<string, string | number>;
  /** Time allowed for each daemon to come up. */
  startTimeoutMs?: number;
}

export interface CephRgw {
  dir: string;
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** https://127.0.0.1:<port>, certificate for IP:127.0.0.1 and DNS:localhost, signed by caFile. */
  httpsEndpoint: string;
  /** PEM of the test CA that signed RGW's certificate. */
  caFile: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Runs radosgw-admin against this cluster (e.g. `gc process --include-all`). */
  admin(args: string[]): Promise<string>;
  /** PIDs of the running daemons, by name (mon.a, osd.0, client.rgw.a). */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
/** Every pid file of every running cluster, for the synchronous exit hook. */
const livePidFiles = new Set<string>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const file of livePidFiles) {
      const pid = readPid(file);
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, logFile?: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const tail =
        logFile && existsSync(logFile)
          ? `\n--- ${logFile} (tail) ---\n${readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')}`
          : '';
      throw new Error(
        `ceph-rgw: ${what} not ready after ${timeoutMs} ms${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ''}${tail}`,
      );
    }
    await sleep(250);
  }
}

/** Any HTTP answer at all from the endpoint. */
function answers(url: string): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

export async function startCephRgw(options: CephRgwOptions = {}): Promise<CephRgw> {
  const missing = missingCephBinaries();
  if (missing.length) {
    throw new Error(
      `ceph-rgw: ${missing.join(', ')} not found; run \`bash test/setup.sh\` (installs the Debian packages ${CEPH_PACKAGES.join(' ')})`,
    );
  }
  hookExit();
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-ceph-'));
  const ports = await freePorts(4);
  const [monV2, monV1, httpPort, httpsPort] = ports as [number, number, number, number];
  const conf = path.join(dir, 'ceph.conf');
  const keyring = path.join(dir, 'keyring');
  const procs: WatchedProcess[] = [];
  const daemons: string[] = []; // ceph names: mon.a, osd.0, client.rgw.a
  const pidFile = (name: string) => path.join(dir, 'run', `${name}.pid`);
  const logFile = (name: string) => path.join(dir, 'log', `${name}.log`);
  const env = { ...process.env, CEPH_CONF: conf };
  const run = async (cmd: string, args: string[]) => (await execFileP(cmd, args, { env, timeout: 60_000, maxBuffer: 16 << 20 })).stdout;
  const ceph = (args: string[]) => run('ceph', ['-c', conf, '--connect-timeout', '10', ...args]);
  const admin = (args: string[]) => run('radosgw-admin', ['-c', conf, '-n', 'client.admin', ...args]);
  const daemon = (name: string, binary: string, args: string[], writePidFile = false) => {
    daemons.push(name);
    livePidFiles.add(pidFile(name));
    const argv = [binary, '-f', '-c', conf, ...args];
    const out = path.join(dir, 'log', `${name}.stdout`);
    // The shell writes its own PID, then becomes the daemon (exec keeps the PID).
    procs.push(
      writePidFile
        ? spawnWatched('sh', ['-c', 'echo $$ > "$0" && exec "$@"', pidFile(name), ...argv], out)
        : spawnWatched(argv[0]!, argv.slice(1), out),
    );
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Reverse order: RGW, OSD, mon, each by its pid file. SIGKILL: everything is thrown away, and a
    // memstore OSD told to shut down cleanly would first write every stored byte to its directory.
    for (const name of [...daemons].reverse()) {
      const pid = readPid(pidFile(name));
      if (pid && alive(pid)) {
        process.kill(pid, 'SIGKILL');
        while (alive(pid)) await sleep(20);
      }
      livePidFiles.delete(pidFile(name));
    }
    // The watchdogs (and a daemon that never wrote its pid file) go with their stdin.
    await Promise.all(procs.map((p) => p.kill()));
    releasePorts(ports);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    for (const sub of ['run', 'log', 'mon', 'osd/ceph-0', 'rgw']) await mkdir(path.join(dir, sub), { recursive: true });
    const tls = await writeTls(path.join(dir, 'tls'));
    const fsid = randomUUID();
    await writeFile(
      conf,
      cephConf({
        dir,
        fsid,
        monV2,
        monV1,
        http: httpPort,
        https: httpsPort,
        tls,
        memstoreBytes: options.memstoreBytes ?? 1024 ** 3,
        rgw: options.rgwSettings ?? {},
      }),
    );

    // One keyring for mon., client.admin and the RGW: ceph-mon --mkfs imports every key in it.
    await run('ceph-authtool', ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    await run('ceph-authtool', [
      keyring,
      '--gen-key',
      '-n',
      'client.admin',
      '--cap',
      'mon',
      'allow *',
      '--cap',
      'osd',
      'allow *',
      '--cap',
      'mds',
      'allow *',
      '--cap',
      'mgr',
      'allow *',
    ]);
    await run('ceph-authtool', [keyring, '--gen-key', '-n', RGW, '--cap', 'mon', 'allow rw', '--cap', 'osd', 'allow rwx']);
    const monmap = path.join(dir, 'monmap');
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monV2},v1:127.0.0.1:${monV1}]`, monmap]);
    await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
    daemon('mon.a', 'ceph-mon', ['-i', 'a']);
    await until('the mon', timeoutMs, async () => ((await ceph(['mon', 'stat'])).includes('quorum') ? true : undefined), logFile('mon.a'));

    const osdUuid = randomUUID();
    const osdId = (await ceph(['osd', 'new', osdUuid])).trim();
    if (osdId !== '0') throw new Error(`ceph-rgw: expected osd id 0, got ${osdId}`);
    await run('ceph-osd', ['-c', conf, '-i', osdId, '--mkfs', '--mkkey', '--osd-uuid', osdUuid, '--no-mon-config']);
    await ceph([
      'auth',
      'add',
      `osd.${osdId}`,
      'osd',
      'allow *',
      'mon',
      'allow profile osd',
      '-i',
      path.join(dir, 'osd', `ceph-${osdId}`, 'keyring'),
    ]);
    daemon(`osd.${osdId}`, 'ceph-osd', ['-i', osdId]);
    await until(
      'the OSD',
      timeoutMs,
      async () => {
        const stat = JSON.parse(await ceph(['osd', 'stat', '-f', 'json'])) as { num_up_osds?: number; num_in_osds?: number };
        return stat.num_up_osds === 1 && stat.num_in_osds === 1 ? true : undefined;
      },
      logFile(`osd.${osdId}`),
    );

    daemon(RGW, 'radosgw', ['-n', RGW], true); // radosgw in the foreground writes no pid file
    const endpoint = `http://127.0.0.1:${httpPort}`;
    await until('radosgw', timeoutMs, () => answers(endpoint), logFile(RGW));

    const accessKeyId = 'HCPDRTESTACCESSKEY01';
    const secretAccessKey = `hcp-dr-test-secret-${randomUUID()}`;
    await admin([
      'user',
      'create',
      '--uid=hcp-dr',
      '--display-name=hcp-dr tests',
      `--access-key=${accessKeyId}`,
      `--secret-key=${secretAccessKey}`,
    ]);
    const client = new S3Client({ endpoint, region: REGION, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } });
    try {
      for (const Bucket of options.buckets ?? []) await client.send(new CreateBucketCommand({ Bucket }));
    } finally {
      client.destroy();
    }
    return {
      dir,
      endpoint,
      httpsEndpoint: `https://127.0.0.1:${httpsPort}`,
      caFile: tls.ca,
      region: REGION,
      accessKeyId,
      secretAccessKey,
      admin,
      pids: () => Object.fromEntries(daemons.map((n) => [n, readPid(pidFile(n)) ?? 0])),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
