/**
 * A real kube-apiserver (built by test/setup-kube-apiserver.sh) on 127.0.0.1, for judging the API
 * simulator. It runs on its own single-member etcd (plain http on 127.0.0.1; the newest etcd this
 * machine has: kube-apiserver 1.32 supports etcd >= 3.5, Debian's 3.4 is tried last), with:
 *  - a static token file: `adminToken` (group system:masters) and `userToken` (no groups beyond
 *    system:authenticated, so RBAC alone decides);
 *  - the RBAC authorizer only, and a service-account signing key made here (TokenRequest works);
 *  - its own self-signed serving certificate (--cert-dir), trusted by `request()` below.
 * Every process runs under the etcd watchdog (etcd/process.ts): none outlives the test process.
 * The test that starts it stops it (stop()), which also removes its directory.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { etcdAvailable, etcdTools, type EtcdVersion } from '../etcd/versions.ts';
import { spawnWatched, type WatchedProcess } from '../etcd/process.ts';
import { freePorts, releasePorts } from '../../support/ports.ts';
import { waitFor } from '../../support/wait.ts';

/** The k8s.io/kubernetes release test/setup-kube-apiserver.sh builds (keep both in step). */
export const KUBE_APISERVER_VERSION = 'v1.32.4';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const KUBE_APISERVER_BINARY = path.join(REPO, '.cache', 'kube-apiserver', KUBE_APISERVER_VERSION, 'kube-apiserver');

/** Why the judge cannot run here, or undefined when it can. */
export function kubeApiserverUnavailable(): string | undefined {
  if (!existsSync(KUBE_APISERVER_BINARY)) return `${KUBE_APISERVER_BINARY} missing: run test/setup-kube-apiserver.sh (needs Go)`;
  return undefined;
}

/** The etcd the apiserver stores into: 3.6, else 3.5 (built by test/setup-etcd.sh), else Debian's 3.4. */
export function judgeEtcdVersion(): EtcdVersion {
  const preferred = process.env['HCP_DR_JUDGE_ETCD_VERSION'];
  if (preferred === '3.4' || preferred === '3.5' || preferred === '3.6') return preferred;
  return (['3.6', '3.5'] as const).find((v) => etcdAvailable(v)) ?? '3.4';
}

export interface Answer {
  status: number;
  body: unknown;
  text: string;
}

export interface ApiTarget {
  /** https://127.0.0.1:<port> or the simulator's http URL. */
  url: string;
  /** PEM the server's certificate chains to (https only). */
  ca?: string;
}

/** One HTTP request with a bearer token; the body is JSON unless it is a string. */
export function request(
  target: ApiTarget,
  method: string,
  urlPath: string,
  options: { token?: string; body?: unknown; contentType?: string } = {},
): Promise<Answer> {
  const url = new URL(target.url + urlPath);
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  if (payload !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload)); // never chunked: DELETE bodies included
  }
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, { method, headers, ...(target.ca ? { ca: target.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* plain text answers (healthz) stay text */
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface RunningKubeApiserver extends ApiTarget {
  ca: string;
  /** Static token of user `judge-admin` in group system:masters. */
  adminToken: string;
  /** Static token of user `judge-user`: no RBAC binding unless a test creates one. */
  userToken: string;
  etcdVersion: EtcdVersion;
  dir: string;
  stop(): Promise<void>;
}

async function startEtcd(dir: string, version: EtcdVersion, ports: number[]): Promise<WatchedProcess> {
  const [client, peer] = ports;
  const bin = etcdTools(version).etcd;
  const args = [
    '--name=judge',
    `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=judge=http://127.0.0.1:${peer}`,
  ];
  if (version !== '3.4') args.push('--unsafe-no-fsync'); // a throwaway store: durability is not what is judged
  return spawnWatched(bin, args, path.join(dir, 'etcd.log'));
}

/** Starts etcd and kube-apiserver; resolves once /readyz answers 200 (bootstrap RBAC roles in place). */
export async function startKubeApiserver(options: { timeoutMs?: number } = {}): Promise<RunningKubeApiserver> {
  const why = kubeApiserverUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-kas-'));
  const ports = await freePorts(3);
  const [etcdClient, , securePort] = ports;
  const etcdVersion = judgeEtcdVersion();
  const adminToken = randomBytes(24).toString('hex');
  const userToken = randomBytes(24).toString('hex');
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(path.join(dir, 'sa.pub'), publicKey);
  await writeFile(path.join(dir, 'sa.key'), privateKey, { mode: 0o600 });
  await writeFile(
    path.join(dir, 'tokens.csv'),
    `${adminToken},judge-admin,judge-admin,"system:masters"\n${userToken},judge-user,judge-user,""\n`,
    { mode: 0o600 },
  );
  const processes: WatchedProcess[] = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.kill();
    releasePorts(ports);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    processes.push(await startEtcd(dir, etcdVersion, ports));
    const args = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${securePort}`,
      `--cert-dir=${path.join(dir, 'serving')}`,
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--anonymous-auth=false',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=1',
    ];
    processes.push(spawnWatched(KUBE_APISERVER_BINARY, args, path.join(dir, 'kube-apiserver.log')));
    const url = `https://127.0.0.1:${securePort}`;
    const certFile = path.join(dir, 'serving', 'apiserver.crt');
    const exitedEarly = () => processes.some((p) => p.child.exitCode !== null);
    const ca = await waitFor(
      'the kube-apiserver serving certificate',
      async () => {
        if (exitedEarly()) throw new Error(`kube-apiserver or etcd exited early; see ${await tail(dir)}`);
        return existsSync(certFile) ? readFile(certFile, 'utf8') : undefined;
      },
      options.timeoutMs ?? 120_000,
      200,
    );
    await waitFor(
      'kube-apiserver /readyz',
      async () => {
        if (exitedEarly()) throw new Error(`kube-apiserver or etcd exited early; see ${await tail(dir)}`);
        const a = await request({ url, ca }, 'GET', '/readyz', { token: adminToken }).catch(() => undefined);
        return a?.status === 200;
      },
      options.timeoutMs ?? 120_000,
      250,
    );
    return { url, ca, adminToken, userToken, etcdVersion, dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The last lines of both logs, for a start that failed. */
async function tail(dir: string): Promise<string> {
  const parts: string[] = [];
  for (const f of ['etcd.log', 'kube-apiserver.log']) {
    const text = await readFile(path.join(dir, f), 'utf8').catch(() => '');
    parts.push(`${f}:\n${text.split('\n').slice(-15).join('\n')}`);
  }
  return parts.join('\n');
}

/**
 * Creates every CustomResourceDefinition of the *.yaml files in `dir` and waits until each is
 * Established and its resource answers a list (the first request after Established can still 404).
 * Returns the CRD objects as parsed.
 */
export async function loadCrds(target: ApiTarget, token: string, dir: string): Promise<Record<string, unknown>[]> {
  const crds: Record<string, unknown>[] = [];
  for (const f of (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    for (const doc of yaml.loadAll(await readFile(path.join(dir, f), 'utf8'))) {
      const o = doc as Record<string, unknown> | null;
      if (o?.['kind'] === 'CustomResourceDefinition') crds.push(o);
    }
  }
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  for (const crd of crds) {
    const a = await request(target, 'POST', base, { token, body: crd });
    if (a.status !== 201 && a.status !== 409) throw new Error(`creating CRD: ${a.status} ${a.text.slice(0, 500)}`);
  }
  for (const crd of crds) {
    const name = (crd['metadata'] as { name: string }).name;
    const spec = crd['spec'] as { group: string; versions: Array<{ name: string; storage?: boolean }>; names: { plural: string } };
    const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? 'v1';
    await waitFor(`CRD ${name} Established and served`, async () => {
      const got = await request(target, 'GET', `${base}/${name}`, { token });
      const conditions = (got.body as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? [];
      if (!conditions.some((c) => c.type === 'Established' && c.status === 'True')) return false;
      const list = await request(target, 'GET', `/apis/${spec.group}/${version}/${spec.names.plural}?limit=1`, { token });
      return list.status === 200;
    });
  }
  return crds;
}
