/**
 * One cancellation path: SIGINT or SIGTERM sent to the CLI (its own process) while it waits on
 * the network ends the wait at once, runs the rollback, and exits 130, whatever it was waiting on:
 * an API server that accepts connections and never answers, an S3 endpoint that never answers,
 * an exec'd command that never ends, or one request that hangs in the middle of a quiesced backup.
 * The servers would hang forever: the bound below is generous and only tells "ended" from "hung".
 * --request-timeout bounds S3 requests as it bounds API requests. And one environment failure
 * that needs a cluster to reach: an export into a directory nobody may write.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfigFile } from '../sandbox/api/kubeconfig.ts';
import { startHangProxy, startSilentServer, type HangProxy, type SilentServer } from '../sandbox/net/hang-proxy.ts';
import { visibleState, type BackupVisibleState } from '../sandbox/cluster-state.ts';
import { etcdExecHandler } from '../sandbox/etcd/controller.ts';
import { REPO_ROOT, SANDBOX_TOKEN, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';

/** Far above the time an interrupted run needs on a loaded machine; a hang never ends. */
const ENDED_WITHIN_MS = 20_000;

const children = new Set<ChildProcess>();
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-cancel-'));
});
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Run {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'src/main.ts'), ...args, '-v'], {
    env: { ...process.env, HCP_DR_INVOKED_AS: 'kubectl-hcp_dr', ...env },
    ...(cwd ? { cwd } : {}),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stderr: () => stderr, exited };
}

/** Waits until `ready` holds (the run is inside its network wait), polling; fails with the run's stderr otherwise. */
async function waitUntil(run: Run, ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (run.child.exitCode !== null) throw new Error(`the run ended before ${what}:\n${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`never reached: ${what}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends `signal` and waits for the exit; a run still alive after ENDED_WITHIN_MS is killed and reported as hung. */
async function interrupt(run: Run, signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  run.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ENDED_WITHIN_MS)));
  const outcome = await Promise.race([run.exited, hung]);
  clearTimeout(timer);
  if (outcome === 'hung') {
    run.child.kill('SIGKILL');
    throw new Error(`still running ${ENDED_WITHIN_MS / 1000}s after ${signal}:\n${run.stderr()}`);
  }
  return { code: outcome.code, stderr: run.stderr() };
}

function expectInterrupted(result: { code: number | null; stderr: string }, signal: string, waitingFor: RegExp): void {
  expect(result.code, result.stderr).toBe(130);
  expect(result.stderr).toContain(`warning: ${signal} received: stopping and rolling back`);
  expect(result.stderr).toMatch(new RegExp(`^error: .*${waitingFor.source}.*interrupted`, 'm'));
  expect(result.stderr).not.toMatch(/this is a bug/);
  expect(result.stderr).not.toMatch(/again: exiting/); // one signal was enough
}

describe('an API server that accepts connections and never answers', () => {
  let silent: SilentServer;
  let kubeconfig: string;
  beforeAll(async () => {
    silent = await startSilentServer();
    kubeconfig = await writeKubeconfigFile(path.join(tmp, 'silent-api'), silent.url, { token: 't', namespace: 'clusters' });
  });
  afterAll(() => silent.stop());

  it('etcd status: SIGINT ends the wait and exits 130 (not 1, not "a bug")', async () => {
    const before = silent.accepted;
    const run = cli(['etcd', 'status', 'demo', '--kubeconfig', kubeconfig]);
    await waitUntil(run, () => silent.accepted > before, 'a connection to the API server');
    expectInterrupted(await interrupt(run, 'SIGINT'), 'SIGINT', /failed to get hostedclusters/);
  });

  it('backup: SIGTERM during preflight exits 130 as well', async () => {
    const before = silent.accepted;
    const run = cli(['backup', 'demo', '--kubeconfig', kubeconfig, '--to', 's3://b/p', '--endpoint', 'http://127.0.0.1:1', '--yes'], {
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
    });
    await waitUntil(run, () => silent.accepted > before, 'a connection to the API server');
    expectInterrupted(await interrupt(run, 'SIGTERM'), 'SIGTERM', /failed to get hostedclusters/);
  });
});

describe('an exec credential plugin that never returns', () => {
  it('SIGINT ends the wait for credentials and exits 130', async () => {
    const marker = path.join(tmp, 'plugin.pid');
    const plugin = path.join(tmp, 'hanging-plugin');
    await writeFile(plugin, `#!/bin/sh\necho $$ > ${marker}\nexec sleep 600\n`, { mode: 0o755 });
    const kubeconfig = path.join(tmp, 'kc-hanging-plugin');
    await writeFile(
      kubeconfig,
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'ctx',
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [
          { name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } } },
        ],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'clusters' } }],
      }),
    );
    const run = cli(['etcd', 'status', 'demo', '--kubeconfig', kubeconfig]);
    try {
      await waitUntil(run, () => existsSync(marker), 'the credential plugin started');
      expectInterrupted(await interrupt(run, 'SIGINT'), 'SIGINT', /failed to get hostedclusters/);
    } finally {
      // The plugin is the test's own process tree: it must not outlive the test.
      const pid = Number((await readFile(marker, 'utf8').catch(() => '')).trim());
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});

describe('an S3 endpoint that never answers', () => {
  let silent: SilentServer;
  const aws = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };
  beforeAll(async () => {
    silent = await startSilentServer();
  });
  afterAll(() => silent.stop());

  it('backup list: SIGINT cuts the S3 request and exits 130', async () => {
    const before = silent.accepted;
    const run = cli(['backup', 'list', '--from', 's3://backups/hcp', '--endpoint', silent.url], aws);
    await waitUntil(run, () => silent.accepted > before, 'a connection to the S3 endpoint');
    expectInterrupted(await interrupt(run, 'SIGINT'), 'SIGINT', /failed to list s3:\/\/backups\/hcp/);
  });

  it('--request-timeout bounds S3 requests: the silent endpoint fails the command (exit 1) naming the timeout', async () => {
    const run = cli(['backup', 'list', '--from', 's3://backups/hcp', '--endpoint', silent.url, '--request-timeout', '1s'], aws);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([run.exited, new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), 60_000)))]);
    clearTimeout(timer);
    expect(outcome, run.stderr()).not.toBe('hung');
    expect(run.stderr()).toMatch(/^error: failed to list s3:\/\/backups\/hcp\/: .*timed out after 1000 ms/m);
    expect(run.stderr()).toMatch(/^hint: check --endpoint http:\/\/127\.0\.0\.1:\d+ and the network/m);
    expect((outcome as { code: number }).code).toBe(1);
  });
});

describe('on the sandbox', () => {
  let sb: Sandbox;
  let initial: BackupVisibleState;
  beforeAll(async () => {
    sb = await startSandbox();
    initial = visibleState(sb);
  }, 120_000);
  afterAll(async () => {
    await sb?.stop();
  });
  afterEach(() => {
    sb.sim.setExecHandler(etcdExecHandler(sb.etcd, sb.controlPlaneNamespace));
  });

  it('etcd status while etcdctl never ends in a member: SIGINT closes the exec session and exits 130', async () => {
    const real = etcdExecHandler(sb.etcd, sb.controlPlaneNamespace);
    let hanging = 0;
    let closedByClient = 0;
    sb.sim.setExecHandler(async (call) => {
      if (!call.command.some((arg) => arg.includes('endpoint'))) return real(call);
      hanging++;
      await new Promise<void>((resolve) =>
        call.signal.aborted ? resolve() : call.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      closedByClient++;
      throw new Error('the client went away');
    });
    const run = cli(['etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig]);
    await waitUntil(run, () => hanging > 0, 'an etcdctl command hanging in a pod');
    expectInterrupted(await interrupt(run, 'SIGINT'), 'SIGINT', /failed to exec "curl \(endpoint status.*\), etcdctl endpoint hashkv/);
    await expect.poll(() => closedByClient).toBe(hanging);
  });

  it('export into a working directory nobody may write (sysfs): exit 2 naming the path and what to do, not "a bug"', async () => {
    // sysfs refuses mkdir even to root: a real unwritable directory on any Linux machine.
    const run = cli(['export', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig, '--out', 'gitops'], {}, '/sys');
    const { code } = await run.exited;
    expect(code, run.stderr()).toBe(2);
    // Refused before anything is written: a kernel file system is no place for a tree.
    expect(run.stderr()).toMatch(
      /^error: --out gitops \(\/sys\/gitops\) is on the kernel's sysfs file system, where no files can be written\nhint: pass a directory on a disk/m,
    );
    expect(run.stderr()).not.toMatch(/this is a bug/);
  });

  describe('a quiesced backup whose next request hangs', () => {
    let proxy: HangProxy | undefined;
    afterEach(async () => {
      await proxy?.stop();
      proxy = undefined;
    });

    it('while the HostedCluster is paused (scale-down hangs): SIGINT rolls back, exits 130, the cluster is as it was', async () => {
      proxy = await startHangProxy(
        sb.sim.url,
        (r) => r.method === 'PATCH' && r.url.includes('/deployments/kube-apiserver/scale') && /"replicas":0\b/.test(r.body),
      );
      const kubeconfig = await writeKubeconfigFile(path.join(tmp, 'proxied-api'), proxy.url, {
        token: SANDBOX_TOKEN,
        namespace: 'clusters',
      });
      const run = cli(
        [
          'backup',
          'demo',
          '-n',
          'clusters',
          '--kubeconfig',
          kubeconfig,
          '--to',
          `s3://${sb.s3.bucket}/cancel`,
          '--endpoint',
          sb.s3.endpoint,
          '--path-style',
          '--yes',
        ],
        sb.env,
      );
      const p = proxy;
      await waitUntil(run, () => p.held.length > 0, 'the scale-down request held');
      expect(visibleState(sb).pausedUntil).not.toEqual(initial.pausedUntil); // the change had started
      const result = await interrupt(run, 'SIGINT');
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toMatch(/^error: backup of "clusters\/demo" interrupted; the cluster was restored/m);
      expect(result.stderr).not.toMatch(/this is a bug/);
      expect(visibleState(sb)).toEqual(initial);
    });

    it('while uploading (S3 never answers a PUT): SIGINT rolls back, exits 130, no upload or snapshot file is left', async () => {
      proxy = await startHangProxy(sb.s3.endpoint, (r) => r.method === 'PUT');
      const run = cli(
        [
          'backup',
          'demo',
          '-n',
          'clusters',
          '--kubeconfig',
          sb.kubeconfig,
          '--to',
          `s3://${sb.s3.bucket}/cancel`,
          '--endpoint',
          proxy.url,
          '--path-style',
          '--yes',
        ],
        sb.env,
      );
      const p = proxy;
      await waitUntil(run, () => p.held.length > 0, 'an upload request held');
      const result = await interrupt(run, 'SIGINT');
      expect(result.code, result.stderr).toBe(130);
      expect(result.stderr).toMatch(/^error: backup of "clusters\/demo" interrupted; the cluster was restored/m);
      expect(result.stderr).not.toMatch(/this is a bug/);
      expect(visibleState(sb)).toEqual(initial);
      expect(await sb.s3.server.pendingUploads(sb.s3.bucket)).toEqual([]);
    });
  });
});
