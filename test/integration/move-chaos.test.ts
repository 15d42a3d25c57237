/**
 * Moves killed at random moments, not at phase boundaries: each seed picks a delay after which
 * `move` (its own process) gets SIGKILL, and, sometimes, a store outage during the run; then
 * `resume` runs on a side picked by the same seed (the other side too when the first has nothing
 * to do there). Whatever the moment, the outcome is checked from outside: the cluster in exactly
 * one place, healthy, with its data, no snapshot file on any member, no incomplete backup left.
 *
 * Seeded, so a failure replays: HCP_DR_CHAOS_SEEDS=<n> runs n seeds (default 3), HCP_DR_CHAOS_SEED=<s>
 * starts at seed s (default 1). The seed of a failing case is in its name.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { DeleteObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/cli.ts';
import { REPO_ROOT, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { sandboxS3Client, useSandboxCredentials } from '../support/sandbox-s3.ts';
import { clusterOf, expectOnePlace, HC, incompleteBackups, otherContext, waitForDemoPublished } from '../support/move-checks.ts';

const SEEDS = Number(process.env['HCP_DR_CHAOS_SEEDS'] ?? 3);
const FIRST = Number(process.env['HCP_DR_CHAOS_SEED'] ?? 1);
/** Longer than a whole move on the sandbox: some kills land after it finished (nothing to resume). */
const MAX_DELAY_MS = 9000;

/** mulberry32: a small seeded PRNG, the same sequence for the same seed on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let sb: Sandbox;
let restoreEnv: (() => void) | undefined;
let server: https.Server;
let frontUrl = '';
let storeDown = false;
let where = 'sandbox';

function moveArgs(from: string): string[] {
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
    otherContext(from),
    '--via',
    `s3://${sb.s3.bucket}/chaos`,
    '--endpoint',
    frontUrl,
    '--ca-bundle',
    sb.s3.caFile,
    '--path-style',
    '--dns-server',
    sb.dns!.address,
    '--wait-timeout',
    '2m',
    '--request-timeout',
    '5s',
    '--yes',
  ];
}

/** Runs the move and SIGKILLs it after `delayMs` (if still running); the store is down in [downAt, downAt+downMs). */
function killedMove(from: string, delayMs: number, outage?: { at: number; ms: number }): Promise<number | null> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'src/main.ts'), ...moveArgs(from)], {
    env: { ...process.env, HCP_DR_INVOKED_AS: 'kubectl-hcp_dr' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const timers = [setTimeout(() => child.kill('SIGKILL'), delayMs)];
  if (outage) {
    timers.push(setTimeout(() => (storeDown = true), outage.at));
    timers.push(setTimeout(() => (storeDown = false), outage.at + outage.ms));
  }
  return new Promise((resolve) =>
    child.on('close', (code) => {
      for (const t of timers) clearTimeout(t);
      storeDown = false;
      resolve(code);
    }),
  );
}

const hasRecord = (context: string) => {
  const a = clusterOf(sb, context).sim.store.get(HC, 'clusters', 'demo')?.metadata.annotations ?? {};
  return a['hcp-dr.openshift.io/operation'] !== undefined || a['hcp-dr.openshift.io/move'] !== undefined;
};

const resume = (context: string) =>
  runCliInProcess(['resume', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--context', context, '-o', 'json']);

/** Deletes the objects under the prefixes a seed left, so one failing seed does not fail every seed after it. */
async function removeLeftovers(dirs: string[]): Promise<void> {
  const client = sandboxS3Client(sb);
  try {
    for (const dir of dirs) {
      for await (const page of paginateListObjectsV2({ client }, { Bucket: sb.s3.bucket, Prefix: `${dir}/` }))
        for (const o of page.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: sb.s3.bucket, Key: o.Key }));
    }
  } finally {
    client.destroy();
  }
}

/** moveArgs' --wait-timeout, in seconds. */
const WAIT_TIMEOUT_S = 120;

/** A resume that finished the move found every node Ready, on the count and not at the deadline. */
function expectNodesReady(r: { code: number; stdout: string }, log: string): void {
  if (r.code !== 0 || !r.stdout.trim()) return;
  const result = JSON.parse(r.stdout) as { nodes?: { state: string } | null; steps?: { step: string; seconds: number }[] };
  if (!result.nodes) return;
  expect(result.nodes, log).toMatchObject({ state: 'Ready', expected: 2, ready: 2, total: 2 });
  const wait = result.steps?.find((s) => s.step === 'nodes');
  expect(wait, log).toBeDefined();
  expect(wait!.seconds, log).toBeLessThan(WAIT_TIMEOUT_S);
}

beforeAll(async () => {
  sb = await startSandbox({ etcdImageTrustsS3Ca: true, clusters: 2, guests: true, capi: true, initBackoffMs: 1000 });
  restoreEnv = useSandboxCredentials(sb);
  const [key, cert] = await Promise.all([readFile(sb.etcd.tls.serverKey, 'utf8'), readFile(sb.etcd.tls.serverCert, 'utf8')]);
  const target = new URL(sb.s3.endpoint);
  server = https.createServer({ key, cert }, (req, res) => {
    if (storeDown) return void req.socket.destroy();
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  frontUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await waitForDemoPublished(sb);
  await sb.etcd.put('/chaos/key', 'value');
}, 180_000);

afterAll(async () => {
  restoreEnv?.();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await sb?.stop();
});

describe(`move chaos: ${SEEDS} seeded kills from seed ${FIRST}, each followed by resume`, () => {
  for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
    it(`seed ${seed}`, { timeout: 300_000 }, async () => {
      const random = prng(seed);
      const delayMs = Math.floor(random() * MAX_DELAY_MS);
      const outage = random() < 0.3 ? { at: Math.floor(random() * delayMs), ms: 1000 + Math.floor(random() * 4000) } : undefined;
      const resumeFirst = random() < 0.5 ? where : otherContext(where);
      const from = where;
      const code = await killedMove(from, delayMs, outage);
      // Resume where the seed says; then wherever a record is still left (at most twice more).
      const log: string[] = [
        `kill after ${delayMs} ms${outage ? `, store down ${outage.ms} ms from ${outage.at} ms` : ''}: move ${code === null ? 'killed' : `exited ${code}`}`,
      ];
      let side = resumeFirst;
      for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0 && !hasRecord('sandbox') && !hasRecord('sandbox-2')) break;
        const r = await resume(side);
        log.push(`resume --context ${side}: exit ${r.code} ${r.stderr.split('\n').find((l) => l.startsWith('error:')) ?? ''}`);
        expectNodesReady(r, `${log.join('\n')}\n${r.stderr}`);
        side = hasRecord(side) ? side : otherContext(side);
      }
      expect(hasRecord('sandbox') || hasRecord('sandbox-2'), log.join('\n')).toBe(false);
      const here = clusterOf(sb, from).sim.store.get(HC, 'clusters', 'demo') ? from : otherContext(from);
      await expectOnePlace(sb, here, '/chaos/key', 'value');
      const leftover = await incompleteBackups(sb, 'chaos/clusters/demo/');
      await removeLeftovers(leftover);
      expect(leftover, log.join('\n')).toEqual([]);
      // The hosted cluster kept its two instances (adopted, never terminated), whoever finished the move.
      const running = sb.cloud!.instances('demo-x7k2p').filter((i) => i.state === 'running');
      expect(running.map((i) => i.nodeName).sort(), log.join('\n')).toEqual(['ip-10-0-1-10.ec2.internal', 'ip-10-0-1-11.ec2.internal']);
      where = here;
    });
  }
});
