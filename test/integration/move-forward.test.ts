/**
 * A move always has a way forward: what its preflight refuses before the first change (an http
 * endpoint, a pre-signed URL over the CRD's 1024 characters, another run's leftover record on either
 * side), and what happens past the point of no return when the store fails: exit 5, a hint that is
 * the exact `resume` that continues, and that resume finishing the move (re-creating the destination
 * HostedCluster whose etcd-init could not download the snapshot), with S3 flags that override the
 * recorded ones. After each, no snapshot file is left on any member's volume.
 *
 * The store is reached through a switchable https front of the test's own (same certificate as the
 * sandbox's front, whose CA the etcd image trusts): forwarding, down (every connection dropped), silent
 * (requests read and never answered; silent-from-part turns silent at a multipart upload's first part), or cutting only curl's requests (etcd-init's download) while the
 * plugin's own requests pass.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { REPO_ROOT, SANDBOX_TOKEN, startSandbox, type ManagementCluster, type Sandbox } from '../sandbox/sandbox.ts';
import { startHangProxy, type HeldRequest } from '../sandbox/net/hang-proxy.ts';
import { multiKubeconfigYaml } from '../sandbox/api/kubeconfig.ts';
import { sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';
import {
  expectOnePlace as sharedExpectOnePlace,
  incompleteBackups,
  snapshotFiles as sharedSnapshotFiles,
  waitForDemoPublished,
} from '../support/move-checks.ts';
import { connectKube } from '../../src/kube/session.ts';
import type { GroupResource } from '../sandbox/api/types.ts';

const HC: GroupResource = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
const FROZEN = ['kube-apiserver', 'openshift-apiserver', 'openshift-oauth-apiserver', 'control-plane-operator'];
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };

type FrontMode = 'forward' | 'down' | 'cut-curl' | 'silent' | 'silent-from-part';
interface Front {
  url: string;
  mode: FrontMode;
  close(): Promise<void>;
}

/** An https front on the sandbox's S3 server whose behaviour the test switches (see the file comment). */
async function startFront(upstream: string, tls: { key: string; cert: string }): Promise<Front> {
  const target = new URL(upstream);
  const front = { mode: 'forward' as FrontMode };
  const server = https.createServer(tls, (req, res) => {
    const curl = /^curl\//.test(req.headers['user-agent'] ?? '');
    if (front.mode === 'down' || (front.mode === 'cut-curl' && curl)) {
      req.socket.destroy();
      return;
    }
    if (front.mode === 'silent-from-part' && /[?&]partNumber=/.test(req.url ?? '')) front.mode = 'silent';
    if (front.mode === 'silent') {
      // A store that hangs: the request is read and held open, never answered (close() drops it).
      req.resume();
      return;
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(front, {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

let sb: Sandbox;
let front: Front;
let restoreEnv: (() => void) | undefined;

const cluster = (context: string): ManagementCluster => sb.clusters[context === 'sandbox' ? 0 : 1] as ManagementCluster;
const other = (context: string) => (context === 'sandbox' ? 'sandbox-2' : 'sandbox');

function moveArgs(from: string, s3: string[], extra: string[] = []): string[] {
  return [
    'move',
    'demo',
    '-n',
    'clusters',
    '--kubeconfig',
    sb.kubeconfig,
    '--context',
    from,
    '--to-context',
    other(from),
    '--via',
    `s3://${sb.s3.bucket}/moves`,
    ...s3,
    '--dns-server',
    sb.dns!.address,
    '--wait-timeout',
    '3m',
    ...extra,
  ];
}
const viaFront = () => ['--endpoint', front.url, '--ca-bundle', sb.s3.caFile, '--path-style'];

/** The source as a refused move must leave it. */
function sourceState(m: ManagementCluster) {
  const hc = m.sim.store.get(HC, 'clusters', 'demo');
  return {
    pausedUntil: (hc?.['spec'] as { pausedUntil?: string } | undefined)?.pausedUntil ?? null,
    annotations: Object.keys(hc?.metadata.annotations ?? {}).filter((k) => k.startsWith('hcp-dr.')),
    replicas: FROZEN.map(
      (d) => (m.sim.store.get(DEPLOYMENTS, 'clusters-demo', d)?.['spec'] as { replicas?: number } | undefined)?.replicas,
    ),
  };
}

async function keysUnder(prefix: string): Promise<string[]> {
  const client = sandboxS3Client(sb);
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: sb.s3.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key ?? '');
  } finally {
    client.destroy();
  }
}

async function uploadsUnder(prefix: string): Promise<string[]> {
  const client = sandboxS3Client(sb);
  try {
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: sb.s3.bucket, Prefix: prefix }));
    return (out.Uploads ?? []).map((u) => `${u.Key ?? ''} ${u.UploadId ?? ''}`);
  } finally {
    client.destroy();
  }
}

const snapshotFiles = (context: string) => sharedSnapshotFiles(sb, context);
const expectOnePlace = (context: string) => sharedExpectOnePlace(sb, context, '/move-forward/key', 'value');

/** Runs the move as its own process; `onStderr` sees stderr as it grows (and may kill the process). */
function moveProcess(
  args: string[],
  onStderr?: (text: string, kill: () => void) => void,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'src/main.ts'), ...args], {
    env: { ...process.env, HCP_DR_INVOKED_AS: 'kubectl-hcp_dr' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, () => child.kill('SIGKILL'));
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** The command of the last `hint:` line, as the user would paste it (the host command removed). */
function hintCommand(stderr: string): string[] {
  const hint = [...stderr.matchAll(/^hint: .*continue with: kubectl hcp-dr (resume .*)$/gm)].at(-1)?.[1];
  expect(hint, stderr).toBeDefined();
  return hint!.trim().split(/\s+/);
}

/** Wait given to every move here (moveArgs' --wait-timeout 3m), in seconds. */
const WAIT_TIMEOUT_S = 180;

/**
 * A finished resume (run with -o json): the hosted cluster's nodes all Ready (no instance lost on
 * the way), found by a node wait that ended on the count, not on the deadline.
 */
function expectNodesReady(resumed: { code: number; stdout: string; stderr: string }): void {
  const result = JSON.parse(resumed.stdout) as { nodes?: { state: string }; steps?: { step: string; seconds: number }[] };
  expect(result.nodes, resumed.stderr).toMatchObject({ state: 'Ready', expected: 2, ready: 2, total: 2 });
  const wait = result.steps?.find((s) => s.step === 'nodes');
  expect(wait, resumed.stderr).toBeDefined();
  expect(wait!.seconds).toBeLessThan(WAIT_TIMEOUT_S);
  const running = sb.cloud!.instances('demo-x7k2p').filter((i) => i.state === 'running');
  expect(running.map((i) => i.nodeName).sort()).toEqual(['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-11.ec2.internal']);
}

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  const [key, cert] = await Promise.all([readFile(sb.etcd.tls.serverKey, 'utf8'), readFile(sb.etcd.tls.serverCert, 'utf8')]);
  front = await startFront(sb.s3.endpoint, { key, cert });
  await waitForDemoPublished(sb);
  await sb.etcd.put('/move-forward/key', 'value');
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  await front?.close();
  await sb?.stop();
});

describe('move: refused in preflight, before the first change', () => {
  it('over an http:// endpoint: exit 3, the snapshot URL named, nothing changed on either side or in the bucket', async () => {
    const before = sourceState(cluster('sandbox'));
    const run = await runCliInProcess(moveArgs('sandbox', ['--endpoint', sb.s3.endpoint, '--path-style'], ['--yes']));
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/^error: failed to move "clusters\/demo": .*snapshot URL: .*need an https:\/\/ URL/m);
    expect(run.stderr).toMatch(/^hint: nothing was changed/m);
    expect(sourceState(cluster('sandbox'))).toEqual(before);
    expect(cluster('sandbox-2').sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
    expect(await keysUnder('moves/')).toEqual([]);
  });

  it('with credentials whose pre-signed URL exceeds 1024 characters (a long session token): exit 3, nothing changed', async () => {
    const before = sourceState(cluster('sandbox'));
    process.env['AWS_SESSION_TOKEN'] = 'T'.repeat(1200);
    let run;
    try {
      run = await runCliInProcess(moveArgs('sandbox', viaFront(), ['--yes']));
    } finally {
      delete process.env['AWS_SESSION_TOKEN'];
    }
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/snapshot URL: the URL is \d{4} characters and the HostedCluster CRD accepts at most 1024/);
    expect(sourceState(cluster('sandbox'))).toEqual(before);
    expect(cluster('sandbox-2').sim.store.get(HC, 'clusters', 'demo')).toBeUndefined();
  });

  it("over another move's leftover record: refused naming the side where resume runs; backup refused too", async () => {
    const leftover = {
      id: 'old12345',
      type: 'move',
      phase: 'source-removed',
      startedAt: '2026-01-01T00:00:00Z',
      source: { context: 'sandbox-2' },
      destination: { context: 'sandbox' },
    };
    cluster('sandbox').sim.store.mutate(HC, 'clusters', 'demo', (hc) => {
      hc.metadata.annotations = { ...hc.metadata.annotations, 'hcp-dr.openshift.io/move': JSON.stringify(leftover) };
    });
    try {
      const before = sourceState(cluster('sandbox'));
      const run = await runCliInProcess(moveArgs('sandbox', viaFront(), ['--yes']));
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(
        /^error: failed to move "clusters\/demo": the source \(context sandbox\) holds hcp-dr operation old12345 \(move, source-removed\) of it, unfinished/m,
      );
      expect(run.stderr).toMatch(
        /^hint: nothing was changed; .*may still be running.*: kubectl hcp-dr resume demo -n clusters --context sandbox/m,
      );
      expect(sourceState(cluster('sandbox'))).toEqual(before);
      const backup = await runCliInProcess([
        'backup',
        'demo',
        '-n',
        'clusters',
        '--kubeconfig',
        sb.kubeconfig,
        '--to',
        `s3://${sb.s3.bucket}/hcp`,
        '--endpoint',
        sb.s3.endpoint,
        '--path-style',
        '--online',
      ]);
      expect(backup.code, backup.stderr).toBe(3);
      expect(backup.stderr).toMatch(/operation old12345 \(move, source-removed\)/);
    } finally {
      cluster('sandbox').sim.store.mutate(HC, 'clusters', 'demo', (hc) => {
        const { ['hcp-dr.openshift.io/move']: _gone, ...rest } = hc.metadata.annotations ?? {};
        hc.metadata.annotations = rest;
      });
    }
  });
});

describe('move: nothing left on the members', () => {
  it('the volume check sees a snapshot file where there is one', async () => {
    const session = await connectKube({ kubeconfig: sb.kubeconfig, context: 'sandbox' }, quiet);
    const touch = (cmd: string) =>
      session.exec.exec({ namespace: 'clusters-demo', pod: 'etcd-1', container: 'etcd', command: ['sh', '-c', cmd] });
    await touch('touch /var/lib/hcp-dr-planted.db');
    expect(await snapshotFiles('sandbox')).toEqual(['etcd-1:hcp-dr-planted.db']);
    await touch('rm -f /var/lib/hcp-dr-planted.db');
    expect(await snapshotFiles('sandbox')).toEqual([]);
  });

  it(
    'a move killed during its upload, rolled back by resume: the snapshot file is gone from the member',
    { timeout: 180_000 },
    async () => {
      const before = sourceState(cluster('sandbox'));
      front.mode = 'forward';
      let killed = false;
      const child = moveProcess(moveArgs('sandbox', viaFront(), ['--yes', '-v']), (text, kill) => {
        // The store stops answering once the snapshot is being taken, so the upload cannot finish.
        if (text.includes('snapshotting etcd in pod')) front.mode = 'down';
        if (!killed && text.includes('uploading the backup to')) {
          killed = true;
          kill();
        }
      });
      const run = await child;
      front.mode = 'forward';
      expect(killed, run.stderr).toBe(true);
      expect(await snapshotFiles('sandbox')).not.toEqual([]);
      const resumed = await runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', 'sandbox']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/removed \/var\/lib\/hcp-dr-\w+\.db from pod clusters-demo\/etcd-\d/);
      expect(sourceState(cluster('sandbox'))).toEqual(before);
      await expectOnePlace('sandbox');
    },
  );
});

describe('move: a rollback ends the freeze before it cleans up', () => {
  it(
    'the store stops answering during the upload: the source is unfrozen first, then the upload and the snapshot file go',
    { timeout: 180_000 },
    async () => {
      const before = sourceState(cluster('sandbox'));
      front.mode = 'forward';
      const run = await moveProcess(moveArgs('sandbox', viaFront(), ['--yes', '-v', '--request-timeout', '5s']), (text) => {
        if (text.includes('snapshotting etcd in pod')) front.mode = 'down';
      });
      front.mode = 'forward';
      expect(run.code, run.stderr).not.toBe(0);
      const steps = run.stderr.split('\n').filter((l) => l.startsWith('rollback: '));
      expect(steps[0], run.stderr).toBe('rollback: unfreeze the source');
      expect(steps.slice(1).join('\n')).toMatch(
        /remove \/var\/lib\/hcp-dr-\w+\.db from pod etcd-\d[\s\S]*delete the incomplete upload[\s\S]*remove the operation record/,
      );
      expect(sourceState(cluster('sandbox')).replicas).toEqual(before.replicas);
      expect(sourceState(cluster('sandbox')).pausedUntil).toEqual(before.pausedUntil);
      // The store was down for the rollback's clean-up too: the record stays (exit 5) until the hinted resume,
      // run once the store answers, has removed what the run left in the bucket.
      if (run.code === 5) {
        const hint = /^hint: undo what is left with: kubectl hcp-dr (resume .*)$/m.exec(run.stderr)?.[1];
        expect(hint, run.stderr).toBeDefined();
        const resumed = await runCliInProcess(hint!.trim().split(/\s+/));
        expect(resumed.code, resumed.stderr).toBe(0);
      }
      expect(sourceState(cluster('sandbox'))).toEqual(before);
      expect(await incompleteBackups(sb, 'moves/clusters/demo/')).toEqual([]);
      await expectOnePlace('sandbox');
    },
  );
});

describe('move: past the point of no return, a way forward', () => {
  it(
    'the store goes down after the DNS hand-off: exit 5, the hint is the resume; resume with an overriding --endpoint finishes it',
    { timeout: 300_000 },
    async () => {
      front.mode = 'forward';
      const run = await moveProcess(moveArgs('sandbox', viaFront(), ['--yes', '-v', '--request-timeout', '5s']), (text) => {
        if (text.includes('step: dns-released\n')) front.mode = 'down';
      });
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(/^error: failed to move "clusters\/demo": stopped after the point of no return/m);
      const hint = hintCommand(run.stderr);
      expect(hint.join(' ')).toContain(
        `--context sandbox --kubeconfig ${sb.kubeconfig} --endpoint ${front.url} --ca-bundle ${sb.s3.caFile} --path-style`,
      );
      // The user points resume at another endpoint of the same store: the flag overrides the record.
      const i = hint.indexOf('--endpoint');
      hint[i + 1] = sb.s3.httpsEndpoint;
      // The recorded endpoint is still down: only the override reaches the store.
      const resumed = await runCliInProcess([...hint, '-o', 'json']);
      front.mode = 'forward';
      expect(resumed.code, resumed.stderr).toBe(0);
      expectNodesReady(resumed);
      await expectOnePlace('sandbox-2');
      expect(await snapshotFiles('sandbox-2')).toEqual([]);
    },
  );

  it(
    "the destination's etcd-init download is cut: exit 5 naming curl's failure, the hint runs as printed once the store is back",
    { timeout: 300_000 },
    async () => {
      front.mode = 'cut-curl';
      const run = await moveProcess(moveArgs('sandbox-2', viaFront(), ['--yes']));
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(
        /^error: failed to move "clusters\/demo": stopped after the point of no return .*etcd-init .*curl exit \d+/m,
      );
      expect(run.stderr).not.toContain('does not recognise');
      expect(cluster('sandbox').sim.store.get(HC, 'clusters', 'demo')).toBeDefined();
      front.mode = 'forward';
      const resumed = await runCliInProcess([...hintCommand(run.stderr), '-o', 'json']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(/re-creating the HostedCluster this move created/);
      // The re-created HostedCluster adopts the same instances: the deletion before it terminated none.
      expect(resumed.stderr).toMatch(/left the instances of the destination's machines running/);
      expectNodesReady(resumed);
      await expectOnePlace('sandbox');
    },
  );
});

/**
 * Runs `move` from `from` through a kubeconfig whose `stalled` context goes through a proxy that
 * holds forever the requests `hold` picks while the returned `release` was not called; the
 * hint's resume then runs through the same kubeconfig. Returns the run and the resume.
 */
async function moveWithStall(from: string, stalled: string, hold: (r: HeldRequest) => boolean) {
  let stall = true;
  const proxy = await startHangProxy(cluster(stalled).sim.url, (r) => stall && hold(r));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-move-stall-'));
  try {
    const kubeconfig = path.join(dir, 'kubeconfig');
    const entry = (context: string) => ({
      url: context === stalled ? proxy.url : cluster(context).sim.url,
      options: { token: SANDBOX_TOKEN, namespace: 'clusters', contextName: context },
    });
    await writeFile(kubeconfig, multiKubeconfigYaml([entry('sandbox'), entry('sandbox-2')]), { mode: 0o600 });
    const args = moveArgs(from, viaFront(), ['--yes', '--request-timeout', '5s']);
    args[args.indexOf('--kubeconfig') + 1] = kubeconfig;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      moveProcess(args),
      new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 120_000))),
    ]);
    clearTimeout(timer);
    expect(outcome).not.toBe('hung');
    const run = outcome as { code: number | null; stderr: string };
    expect(proxy.held.length, run.stderr).toBeGreaterThan(0);
    stall = false;
    const resumed = run.code === 5 ? await runCliInProcess([...hintCommand(run.stderr), '-o', 'json']) : undefined;
    return { run, resumed, kubeconfig };
  } finally {
    await proxy.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('move: --request-timeout bounds the API requests of both management clusters', () => {
  it(
    'a destination API that stops answering fails the request (exit 5 past the point of no return), and resume finishes',
    { timeout: 300_000 },
    async () => {
      const { run, resumed } = await moveWithStall('sandbox', 'sandbox-2', (r) => r.method === 'POST' && r.url.includes('/hostedclusters'));
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(/^error: failed to move "clusters\/demo": stopped after the point of no return .*(timed out|timeout)/im);
      expect(run.stderr).toMatch(/^hint: .*continue with: kubectl hcp-dr resume demo -n clusters --context sandbox /m);
      expect(resumed?.code, resumed?.stderr).toBe(0);
      expectNodesReady(resumed!);
      await expectOnePlace('sandbox-2');
    },
  );

  it(
    "a source API that stops answering during the teardown: the hint names the destination's resume (the source's record goes with it), which finishes",
    { timeout: 300_000 },
    async () => {
      const { run, resumed } = await moveWithStall(
        'sandbox-2',
        'sandbox-2',
        (r) => r.method === 'DELETE' && r.url.includes('/hostedcontrolplanes/'),
      );
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(/^hint: continue with: kubectl hcp-dr resume demo -n clusters --context sandbox /m);
      expect(resumed?.code, resumed?.stderr).toBe(0);
      expectNodesReady(resumed!);
      await expectOnePlace('sandbox');
    },
  );
});

/**
 * Watches the source's freeze as the cluster shows it, polling the simulator's store: it starts when
 * the HostedCluster's spec.pausedUntil or a frozen deployment's replicas first leave `before`, and
 * ends when both are back (the API servers scaled up, the pause removed). Returns stop(), which
 * gives the freeze's start and end (epoch ms), end undefined while it lasts.
 */
function watchFreeze(m: ManagementCluster, before: ReturnType<typeof sourceState>) {
  const same = (s: ReturnType<typeof sourceState>) =>
    s.pausedUntil === before.pausedUntil && JSON.stringify(s.replicas) === JSON.stringify(before.replicas);
  let start: number | undefined;
  let end: number | undefined;
  const timer = setInterval(() => {
    const now = Date.now();
    const unchanged = same(sourceState(m));
    if (start === undefined && !unchanged) start = now;
    else if (start !== undefined && end === undefined && unchanged) end = now;
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return { start, end };
    },
  };
}

/** The management cluster that holds demo now (earlier tests move it back and forth). */
const holder = () => (cluster('sandbox').sim.store.get(HC, 'clusters', 'demo') ? 'sandbox' : 'sandbox-2');

// Last in the file: its second case grows the hosted etcd past one upload part, which no case after it should see.
describe('move: --request-timeout bounds the freeze when the store stops answering', () => {
  it(
    'with --request-timeout 5s, a store that hangs during the upload: rolled back, the freeze under 30 s; the record kept for the hinted resume, after which nothing is left in volume or bucket',
    { timeout: 180_000 },
    async () => {
      const from = holder();
      const m = cluster(from);
      const before = sourceState(m);
      front.mode = 'forward';
      const watch = watchFreeze(m, before);
      let run;
      try {
        run = await moveProcess(moveArgs(from, viaFront(), ['--yes', '-v', '--request-timeout', '5s']), (text) => {
          // Partway through: the snapshot is taken and the upload has started before the store hangs.
          if (front.mode === 'forward' && text.includes('uploading the backup to')) front.mode = 'silent';
        });
      } finally {
        front.mode = 'forward';
      }
      const freeze = watch.stop();
      expect(run.stderr).toMatch(/uploading the backup to/);
      // The source unfrozen first; the store, still silent, kept the rollback from cleaning the bucket: exit 5 and
      // the record stays for resume. The bound is the must-hold of issue 27, not a speed.
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(/^error: failed to .*timed out after 5000 ms without an answer from the store/m);
      expect(run.stderr).toMatch(/^rollback: unfreeze the source$/m);
      expect(freeze.start, run.stderr).toBeDefined();
      expect(freeze.end, run.stderr).toBeDefined();
      expect(freeze.end! - freeze.start!, run.stderr).toBeLessThan(30_000);
      expect(sourceState(m).replicas).toEqual(before.replicas);
      expect(sourceState(m).pausedUntil).toEqual(before.pausedUntil);
      expect(await snapshotFiles(from)).toEqual([]);
      // The store answers again: the hinted resume leaves no incomplete backup, no incomplete upload, no record.
      const hint = /^hint: undo what is left with: kubectl hcp-dr (resume .*)$/m.exec(run.stderr)?.[1];
      expect(hint, run.stderr).toBeDefined();
      const resumed = await runCliInProcess(hint!.trim().split(/\s+/));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(sourceState(m)).toEqual(before);
      expect(await incompleteBackups(sb, 'moves/clusters/demo/')).toEqual([]);
      expect(await uploadsUnder('moves/')).toEqual([]);
      await expectOnePlace(from);
    },
  );

  it(
    'the same once a multipart upload has started: the freeze under 30 s; the upload the rollback could not abort keeps the record, and the hinted resume removes it once the store answers',
    { timeout: 240_000 },
    async () => {
      // A snapshot over one part (8 MiB): the upload is multipart, started before the store hangs.
      const from = holder();
      const m = cluster(from);
      const etcd = m.operator?.etcd('clusters-demo') ?? sb.etcd;
      for (let i = 0; i < 10; i++) await etcd.put(`/move-forward/bulk/${i}`, 'x'.repeat(1024 * 1024));
      const before = sourceState(m);
      const watch = watchFreeze(m, before);
      front.mode = 'silent-from-part';
      let run;
      try {
        run = await moveProcess(moveArgs(from, viaFront(), ['--yes', '-v', '--request-timeout', '5s']));
      } finally {
        front.mode = 'forward';
      }
      const freeze = watch.stop();
      // The source is unfrozen first; the store was silent through the whole rollback, so its upload is
      // still there and the record stays for resume (exit 5), never an orphan upload behind a clean exit.
      expect(run.code, run.stderr).toBe(5);
      expect(run.stderr).toMatch(
        /^error: failed to move "clusters\/demo": .*timed out after 5000 ms without an answer from the store.*; and the rollback failed: delete the incomplete upload/m,
      );
      expect(freeze.start, run.stderr).toBeDefined();
      expect(freeze.end, run.stderr).toBeDefined();
      expect(freeze.end! - freeze.start!, run.stderr).toBeLessThan(30_000);
      expect(sourceState(m).pausedUntil).toEqual(before.pausedUntil);
      expect(sourceState(m).replicas).toEqual(before.replicas);
      expect(await snapshotFiles(from)).toEqual([]);
      expect(await uploadsUnder('moves/'), run.stderr).toHaveLength(1);
      const s3 = ['--endpoint', sb.s3.endpoint, '--path-style'];
      const list = await runCliInProcess(['backup', 'list', '--from', `s3://${sb.s3.bucket}/moves`, ...s3, '-o', 'json']);
      expect(list.code, list.stderr).toBe(0);
      expect((JSON.parse(list.stdout) as { incompleteUploads?: { count: number } }).incompleteUploads?.count).toBe(1);
      // The store answers again: the hint, run as printed, removes the upload and then the record.
      const hint = /^hint: undo what is left with: kubectl hcp-dr (resume .*)$/m.exec(run.stderr)?.[1];
      expect(hint, run.stderr).toBeDefined();
      const resumed = await runCliInProcess(hint!.trim().split(/\s+/));
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await uploadsUnder('moves/')).toEqual([]);
      expect(await incompleteBackups(sb, 'moves/clusters/demo/')).toEqual([]);
      expect(sourceState(m)).toEqual(before);
      await expectOnePlace(from);
    },
  );
});
