/**
 * A real etcd cluster (3.4, 3.5 or 3.6: etcd/versions.ts) for tests, laid out like HyperShift's etcd StatefulSet:
 * members etcd-0..N-1 with mutual TLS, one "PVC" directory each (<dir>/etcd-i = /var/lib,
 * data in <dir>/etcd-i/data = /var/lib/data) and TLS files under <dir>/tls = /etc/etcd/tls.
 * Every process runs under a watchdog (etcd/process.ts), so none survives the test process.
 * The pods' etcd image is <dir>/image: the version's etcd tools, first on the pods' PATH and standing
 * for /usr/bin/etcd, /usr/bin/etcdctl and /usr/bin/etcdutl (3.6 only) in what they run.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePorts, releasePorts } from '../../support/ports.ts';
import { writeEtcdTls, type EtcdTlsFiles } from './certs.ts';
import { Gateway } from './gateway.ts';
import { spawnWatched, type ExitInfo, type WatchedProcess } from './process.ts';
import { runEtcdctl, parseMemberListSimple, type EtcdctlResult, type MemberListEntry } from './etcdctl.ts';
import { runInPod, type ExecIO, type PodView } from './exec-bridge.ts';
import { defaultEtcdVersion, etcdTools, writeImageDir, type EtcdTools, type EtcdVersion } from './versions.ts';

export type { ExecIO, EtcdTlsFiles, EtcdctlResult, MemberListEntry, ExitInfo, EtcdVersion };

export interface EtcdClusterOptions {
  /** Root directory of the cluster's files; created if missing and removed by stop(). */
  dir: string;
  members?: number;
  /** --quota-backend-bytes; HyperShift sets 8 GiB. */
  quotaBytes?: number;
  /** 4.11 layout: the CA is only at /etc/etcd/tls/client/etcd-client-ca.crt. */
  legacyCaPath?: boolean;
  /** Time allowed for the cluster (and later each restarted member) to turn healthy. */
  startTimeoutMs?: number;
  /**
   * false: lay out directories, TLS and ports but start no member, for a controller that starts
   * each member as its pod comes up (startNew for a new cluster, start on restored data).
   */
  bootstrap?: boolean;
  /** The etcd release the members and the pods' image run (default: HCP_DR_ETCD_VERSION, else the newest). */
  etcdVersion?: EtcdVersion;
  /** With bootstrap false: the client/peer ports (2 per member, client first) to reuse, e.g. for a volume kept from an earlier run. */
  ports?: number[];
}

export interface EtcdMember {
  index: number;
  name: string;
  clientPort: number;
  peerPort: number;
  clientUrl: string;
  peerUrl: string;
  /** Host dir for the pod's /var/lib (the PVC). */
  volumeDir: string;
  /** Host dir for /var/lib/data (etcd --data-dir). */
  dataDir: string;
  /** The pod's /tmp. */
  podTmpDir: string;
  logFile: string;
}

interface MemberState extends EtcdMember {
  proc?: WatchedProcess;
  /** --initial-cluster used for the next start; changed by rejoin(). */
  initialCluster: string;
  token: string;
}

const DEFAULT_QUOTA = 8 * 1024 * 1024 * 1024;

export class EtcdCluster {
  readonly dir: string;
  readonly tls: EtcdTlsFiles;
  readonly quotaBytes: number;
  readonly version: EtcdVersion;
  readonly tools: EtcdTools;
  /** Host directory standing for the image's /usr/bin etcd tools. */
  readonly imageBin: string;
  private readonly state: MemberState[];
  private readonly gateway: Gateway;
  private readonly timeoutMs: number;
  private readonly exitListeners = new Set<(index: number, info: ExitInfo) => void>();
  private stopped = false;

  constructor(
    opts: Required<Omit<EtcdClusterOptions, 'ports'>>,
    tls: EtcdTlsFiles,
    ports: number[],
    ca: string,
    cert: string,
    key: string,
  ) {
    this.dir = opts.dir;
    this.tls = tls;
    this.quotaBytes = opts.quotaBytes;
    this.timeoutMs = opts.startTimeoutMs;
    this.version = opts.etcdVersion;
    this.tools = etcdTools(opts.etcdVersion);
    this.imageBin = path.join(opts.dir, 'image');
    this.gateway = new Gateway({ ca, cert, key });
    const n = opts.members;
    const peerUrl = (i: number) => `https://127.0.0.1:${ports[2 * i + 1]}`;
    const initialCluster = Array.from({ length: n }, (_, i) => `etcd-${i}=${peerUrl(i)}`).join(',');
    this.state = Array.from({ length: n }, (_, i) => ({
      index: i,
      name: `etcd-${i}`,
      clientPort: ports[2 * i]!,
      peerPort: ports[2 * i + 1]!,
      clientUrl: `https://127.0.0.1:${ports[2 * i]}`,
      peerUrl: peerUrl(i),
      volumeDir: path.join(opts.dir, `etcd-${i}`),
      dataDir: path.join(opts.dir, `etcd-${i}`, 'data'),
      podTmpDir: path.join(opts.dir, 'pods', `etcd-${i}`, 'tmp'),
      logFile: path.join(opts.dir, 'logs', `etcd-${i}.log`),
      initialCluster,
      token: 'etcd-cluster',
    }));
  }

  get size(): number {
    return this.state.length;
  }
  /** Client and peer port of every member, in order (client first): what `ports` takes to reuse them. */
  ports(): number[] {
    return this.state.flatMap((s) => [s.clientPort, s.peerPort]);
  }
  member(i: number): EtcdMember {
    return { ...this.m(i) };
  }
  endpoint(i: number): string {
    return this.m(i).clientUrl;
  }
  endpoints(): string[] {
    return this.state.map((s) => s.clientUrl);
  }
  tlsFlags(): string[] {
    return ['--cacert', this.tls.ca, '--cert', this.tls.clientCert, '--key', this.tls.clientKey];
  }
  isRunning(i: number): boolean {
    const c = this.m(i).proc?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /** Called when a member process exits for any reason (kill, crash, stop). */
  onMemberExit(fn: (index: number, info: ExitInfo) => void): () => void {
    this.exitListeners.add(fn);
    return () => this.exitListeners.delete(fn);
  }

  /** Spawns member i. state 'new' bootstraps; 'existing' restarts or joins. */
  private spawn(i: number, state: 'new' | 'existing', extra: string[] = []): void {
    const s = this.m(i);
    if (this.stopped) throw new Error('cluster stopped');
    if (this.isRunning(i)) throw new Error(`${s.name} is already running`);
    const args = [
      '--name',
      s.name,
      '--data-dir',
      s.dataDir,
      '--listen-client-urls',
      s.clientUrl,
      '--advertise-client-urls',
      s.clientUrl,
      '--listen-peer-urls',
      s.peerUrl,
      '--initial-advertise-peer-urls',
      s.peerUrl,
      '--initial-cluster',
      s.initialCluster,
      '--initial-cluster-token',
      s.token,
      '--initial-cluster-state',
      state,
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '500',
      '--quota-backend-bytes',
      String(this.quotaBytes),
      '--snapshot-count',
      '10000',
      '--cert-file',
      this.tls.serverCert,
      '--key-file',
      this.tls.serverKey,
      '--trusted-ca-file',
      this.tls.ca,
      '--client-cert-auth',
      '--peer-cert-file',
      this.tls.peerCert,
      '--peer-key-file',
      this.tls.peerKey,
      '--peer-trusted-ca-file',
      this.tls.ca,
      '--peer-client-cert-auth',
      ...extra,
    ];
    const proc = spawnWatched(this.tools.etcd, args, s.logFile);
    s.proc = proc;
    void proc.exited.then((info) => {
      for (const fn of this.exitListeners) fn(i, info);
    });
  }

  /** Polls /health every 100 ms until every listed member is healthy; fails fast if one exits. */
  async waitHealthy(indices: number[] = this.state.map((s) => s.index), timeoutMs = this.timeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const i of indices) {
        if (!this.isRunning(i)) throw new Error(`${this.m(i).name} exited:\n${await this.logTail(i)}`);
      }
      const ok = await Promise.all(indices.map((i) => this.gateway.healthy(this.m(i).clientUrl, 1000)));
      if (ok.every(Boolean)) return;
      if (Date.now() > deadline)
        throw new Error(
          `etcd not healthy after ${timeoutMs} ms: ${indices
            .filter((_, k) => !ok[k])
            .map((i) => `etcd-${i}`)
            .join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One health probe of member i (false when down or not answering within timeoutMs). */
  healthy(i: number, timeoutMs = 1000): Promise<boolean> {
    return this.isRunning(i) ? this.gateway.healthy(this.m(i).clientUrl, timeoutMs) : Promise.resolve(false);
  }

  async logTail(i: number, lines = 20): Promise<string> {
    const text = await readFile(this.m(i).logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines).join('\n');
  }

  /** Sends a signal to member i and resolves when the process has exited (use terminating signals). */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo | undefined> {
    const proc = this.m(i).proc;
    if (!proc || !this.isRunning(i)) return undefined;
    if (signal === 'SIGKILL') return proc.kill();
    proc.signal(signal);
    return proc.exited;
  }

  /** Restarts member i on its existing data (state existing); waits until healthy unless wait=false. */
  async start(i: number, opts: { wait?: boolean } = {}): Promise<void> {
    this.spawn(i, 'existing');
    if (opts.wait !== false) await this.waitHealthy([i]);
  }

  /**
   * Starts member i with state new and the original --initial-cluster/token: what an empty
   * member does when reset-member finds no live cluster (e.g. scale-up after a snapshot restore
   * into etcd-0: identical bootstrap flags yield the same cluster and member IDs).
   */
  async startNew(i: number, opts: { wait?: boolean } = {}): Promise<void> {
    const s = this.m(i);
    s.initialCluster = this.state.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    s.token = 'etcd-cluster';
    this.spawn(i, 'new');
    if (opts.wait !== false) await this.waitHealthy([i]);
  }

  /** True when member i's data dir holds a bolt DB (reset-member's test: /var/lib/data/member/snap/db). */
  hasData(i: number): boolean {
    return existsSync(path.join(this.m(i).dataDir, 'member', 'snap', 'db'));
  }

  /** Kills member i (if running) and deletes its data dir (the PVC content). */
  async wipe(i: number): Promise<void> {
    await this.kill(i);
    await rm(this.m(i).dataDir, { recursive: true, force: true });
  }

  /** Kills member i and empties its whole volume (/var/lib): the PVC's data is gone. */
  async clearVolume(i: number): Promise<void> {
    await this.kill(i);
    const s = this.m(i);
    await rm(s.volumeDir, { recursive: true, force: true });
    // stop() may have removed the cluster directory meanwhile; a volume made now would outlive it.
    if (!this.stopped) await mkdir(s.volumeDir, { recursive: true });
  }

  /** True when member i's volume holds anything (HyperShift's etcd-init checks /var/lib/data). */
  volumeInUse(i: number): boolean {
    return existsSync(this.m(i).dataDir) && readdirSync(this.m(i).dataDir).length > 0;
  }

  /** A live, healthy member other than `except`, to run membership changes through. */
  private async liveMember(except: number): Promise<number> {
    // Waits out a leader election (all members answer /health 503 for a moment).
    const deadline = Date.now() + this.timeoutMs;
    do {
      for (const s of this.state) {
        if (s.index !== except && (await this.healthy(s.index))) return s.index;
      }
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline && this.state.some((s) => s.index !== except && this.isRunning(s.index)));
    throw new Error('no healthy member to run membership changes through (quorum lost?)');
  }

  async memberList(via?: number): Promise<MemberListEntry[]> {
    const j = via ?? (await this.liveMember(-1));
    const r = await this.etcdctl(['member', 'list', '-w', 'simple'], { endpoints: [j] });
    if (r.code !== 0) throw new Error(`member list failed: ${r.stderr}`);
    return parseMemberListSimple(r.stdout);
  }

  /**
   * What HyperShift's reset-member init container does for an empty data dir when it found the
   * member's entry (etcd/reset-member.ts): through a live member, `member remove` that entry
   * (`opts.memberId`; without it the entry named etcd-i or with its peer URL), `member add etcd-i`
   * as a voting member, then start with the printed --initial-cluster and state existing.
   */
  async rejoin(i: number, opts: { wait?: boolean; memberId?: string } = {}): Promise<void> {
    const s = this.m(i);
    await this.wipe(i);
    const j = await this.liveMember(i);
    const oldId = opts.memberId ?? (await this.memberList(j)).find((e) => e.name === s.name || e.peerURLs.includes(s.peerUrl))?.id;
    if (oldId) {
      const r = await this.memberChange(['member', 'remove', oldId], j);
      if (r.code !== 0) throw new Error(`member remove ${oldId}: ${r.stderr}`);
    }
    const add = await this.memberChange(['member', 'add', s.name, `--peer-urls=${s.peerUrl}`], j);
    const ic = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)?.[1];
    if (add.code !== 0 || !ic) throw new Error(`member add ${s.name}: ${add.stderr}${add.stdout}`);
    s.initialCluster = ic;
    s.token = 'etcd-cluster';
    this.spawn(i, 'existing');
    if (opts.wait !== false) await this.waitHealthy([i]);
  }

  /**
   * A membership change (`member add|remove ...`) through member `via`. etcd refuses them for a
   * while, e.g. with "unhealthy cluster" until the peers have been connected for its 5 s health
   * interval (right after a start or a rejoin), and under load: retry until the timeout. A
   * remove of a member that is already gone counts as done.
   */
  async memberChange(args: string[], via: number): Promise<EtcdctlResult> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const r = await this.etcdctl(args, { endpoints: [via] });
      // "member not found" is success only for a remove: an add right after a remove may log it while it retries.
      if (r.code === 0 || (args[1] === 'remove' && /member not found/i.test(r.stderr)) || Date.now() > deadline) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  /**
   * Makes member i divergent: its data is replaced by a stray single-member cluster of the same
   * name on the same ports (new cluster ID, different keys), as a restore without
   * --initial-cluster produces. The others still list the old member. rejoin(i) heals it.
   */
  async makeDivergent(i: number, marker = `stray ${this.m(i).name}`): Promise<void> {
    const s = this.m(i);
    await this.wipe(i);
    s.initialCluster = `${s.name}=${s.peerUrl}`;
    s.token = `stray-${s.name}`;
    this.spawn(i, 'new');
    await this.waitHealthy([i]);
    await this.gateway.put(s.clientUrl, '/hcp-dr-test/divergent', marker);
  }

  /** Runs the cluster's version of etcdctl with the client TLS flags against the given members (default all). */
  etcdctl(args: readonly string[], opts: { endpoints?: number[]; timeoutMs?: number } = {}): Promise<EtcdctlResult> {
    const eps = (opts.endpoints ?? this.state.map((s) => s.index)).map((i) => this.m(i).clientUrl).join(',');
    return runEtcdctl([...this.tlsFlags(), `--endpoints=${eps}`, ...args], opts.timeoutMs, this.tools.etcdctl);
  }

  put(key: string, value: string | Buffer, via?: number): Promise<void> {
    return this.gateway.put(this.m(via ?? this.firstRunning()).clientUrl, key, value);
  }

  get(key: string, via?: number): Promise<string | undefined> {
    return this.gateway.get(this.m(via ?? this.firstRunning()).clientUrl, key);
  }

  /** Writes n keys `${prefix}${i}` (zero-padded) with valueSize-byte values, 128 per txn. */
  async seed(n: number, opts: { prefix?: string; valueSize?: number; via?: number } = {}): Promise<void> {
    const prefix = opts.prefix ?? '/seed/';
    const value = 'v'.repeat(opts.valueSize ?? 64);
    const pairs = function* (): Generator<[string, string]> {
      for (let k = 0; k < n; k++) yield [`${prefix}${String(k).padStart(8, '0')}`, value];
    };
    await this.gateway.putMany(this.m(opts.via ?? this.firstRunning()).clientUrl, pairs());
  }

  /** Tools taken out of the etcd image (removeFromImage), as a PATH directory that shadows them. */
  private binOverrides: string | undefined;

  /**
   * The etcd image's CA trust store (a PEM bundle), what curl in its pods trusts (etcd-init's
   * snapshot download); undefined: the machine's own. Set by whoever "builds" the image (operator.ts).
   */
  imageCaBundle: string | undefined;

  /**
   * Takes tools out of the pods' image: each name then answers as a missing command (exit 127),
   * as in an image built without it. An empty list puts them back.
   */
  async removeFromImage(tools: string[]): Promise<void> {
    if (tools.length === 0) {
      this.binOverrides = undefined;
      return;
    }
    const dir = path.join(this.dir, 'image-overrides');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    for (const tool of tools) {
      await writeFile(path.join(dir, tool), `#!/bin/sh\necho "sh: ${tool}: command not found" >&2\nexit 127\n`, { mode: 0o755 });
    }
    this.binOverrides = dir;
  }

  podView(i: number): PodView {
    const s = this.m(i);
    return {
      ...(this.binOverrides ? { binOverrides: this.binOverrides } : {}),
      imageBin: this.imageBin,
      ...(this.imageCaBundle ? { caBundle: this.imageCaBundle } : {}),
      tlsRoot: this.tls.root,
      volumeDir: s.volumeDir,
      tmpDir: s.podTmpDir,
      hostname: s.name,
      index: i,
      clientPorts: this.state.map((m) => m.clientPort),
      peerPorts: this.state.map((m) => m.peerPort),
    };
  }

  /**
   * Runs argv "in pod etcd-i, container etcd" (see etcd/exec-bridge.ts). Rejects, like
   * kube-apiserver, when the container is not running unless requireRunning is false.
   */
  async execInMember(i: number, argv: string[], io: ExecIO, opts: { requireRunning?: boolean } = {}): Promise<number> {
    if (opts.requireRunning !== false && !this.isRunning(i)) {
      throw new Error(`container "etcd" in pod "${this.m(i).name}" is not running`);
    }
    await mkdir(this.m(i).podTmpDir, { recursive: true });
    return runInPod(argv, this.podView(i), io);
  }

  /** SIGKILLs every member and removes the cluster directory. Idempotent. */
  async stop(opts: { keepDir?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.state.map((s) => this.kill(s.index)));
    this.gateway.close();
    releasePorts(this.state.flatMap((s) => [s.clientPort, s.peerPort]));
    if (!opts.keepDir) await rm(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  /**
   * Internal: bootstrap all members with state new. Before bootstrapping, each new member asks every
   * peer whether it is already a member (etcd's isMemberBootstrapped), waiting 1 s for a peer that
   * listens but does not serve yet: started all at once, the members spend 1-2 s in that check. So
   * they start one after another, each once the previous one serves its peer port (at most 1.5 s:
   * then as before), in a random order so that any member may still win the first election. Nobody
   * sees the cluster before every member is healthy; its IDs and membership are the same either way.
   */
  async bootstrap(): Promise<void> {
    await this.layout();
    const order = this.state.map((s) => s.index).sort(() => Math.random() - 0.5);
    for (const [k, i] of order.entries()) {
      this.spawn(i, 'new');
      if (k < order.length - 1) await this.peerServing(i, 1500);
    }
    await this.waitHealthy();
  }

  /** Polls member i's peer port until it answers HTTP (any status) or timeoutMs passed or it exited. */
  private async peerServing(i: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.isRunning(i) && Date.now() < deadline) {
      const answered = await this.gateway.request(`${this.m(i).peerUrl}/members`, 'GET', undefined, 200).then(
        () => true,
        () => false,
      );
      if (answered) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Internal: creates every member's volume, pod tmp and log directories. */
  async layout(): Promise<void> {
    await writeImageDir(this.version, this.imageBin);
    for (const s of this.state) {
      await mkdir(s.volumeDir, { recursive: true });
      await mkdir(s.podTmpDir, { recursive: true });
      await mkdir(path.dirname(s.logFile), { recursive: true });
    }
  }

  private firstRunning(): number {
    const s = this.state.find((m) => this.isRunning(m.index));
    if (!s) throw new Error('no etcd member is running');
    return s.index;
  }

  private m(i: number): MemberState {
    const s = this.state[i];
    if (!s) throw new Error(`no member ${i}`);
    return s;
  }
}

/**
 * Starts a healthy N-member mTLS cluster; retries with new ports if one was taken meanwhile.
 * With bootstrap: false it only lays the cluster out (nothing runs until start/startNew).
 */
export async function startEtcdCluster(options: EtcdClusterOptions): Promise<EtcdCluster> {
  const { ports, ...rest } = options;
  const opts: Required<Omit<EtcdClusterOptions, 'ports'>> = {
    members: 3,
    quotaBytes: DEFAULT_QUOTA,
    legacyCaPath: false,
    startTimeoutMs: 30_000,
    bootstrap: true,
    ...rest,
    etcdVersion: rest.etcdVersion ?? defaultEtcdVersion(),
  };
  await mkdir(opts.dir, { recursive: true });
  const tls = await writeEtcdTls(opts.dir, opts.legacyCaPath);
  const [ca, cert, key] = await Promise.all([tls.ca, tls.clientCert, tls.clientKey].map((f) => readFile(f, 'utf8')));
  if (!opts.bootstrap) {
    const cluster = new EtcdCluster(
      opts,
      tls,
      ports?.length === 2 * opts.members ? ports : await freePorts(2 * opts.members),
      ca!,
      cert!,
      key!,
    );
    await cluster.layout();
    return cluster;
  }
  for (let attempt = 1; ; attempt++) {
    const cluster = new EtcdCluster(opts, tls, await freePorts(2 * opts.members), ca!, cert!, key!);
    try {
      await cluster.bootstrap();
      return cluster;
    } catch (err) {
      const logs = (await Promise.all(Array.from({ length: opts.members }, (_, i) => cluster.logTail(i, 50)))).join('\n');
      await cluster.stop({ keepDir: true });
      for (let i = 0; i < opts.members; i++) await rm(path.join(opts.dir, `etcd-${i}`), { recursive: true, force: true });
      if (attempt >= 3 || !/address already in use/.test(logs)) {
        await rm(opts.dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

/** A fresh directory under os.tmpdir() for a cluster. */
export function tempClusterDir(label = 'etcd'): string {
  return path.join(os.tmpdir(), `hcpdr-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
}
