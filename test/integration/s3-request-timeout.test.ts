/**
 * --request-timeout bounds every S3 attempt, and a timed-out attempt is not retried: a store that
 * stops answering fails the command about one timeout after the first connection, over http and
 * over https (a TLS handshake that never completes, and a TLS connection whose HTTP is never
 * answered). Requirement (issue 26/27): `--request-timeout 3s` against a silent S3 ends within 5 s.
 * The bound is measured from the first connection the store accepted, so the process's start-up
 * (loading Node and the SDK) is not counted; a hang would never end, and the old retry loop took
 * 12 s over http and 37 s over https.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSilentServer, type SilentServer } from '../sandbox/net/hang-proxy.ts';
import { startTlsFront, type TlsFront } from '../sandbox/net/tls-front.ts';
import { REPO_ROOT } from '../sandbox/sandbox.ts';

const AWS = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };
const REQUIREMENT_MS = 5_000;

interface Outcome {
  code: number | null;
  stderr: string;
  /** From the store's first accepted connection to the process's exit. */
  afterFirstConnectionMs: number;
}

async function run(args: string[], store: SilentServer): Promise<Outcome> {
  const before = store.accepted;
  let firstAt: number | undefined;
  const watch = setInterval(() => {
    if (firstAt === undefined && store.accepted > before) firstAt = Date.now();
  }, 5);
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'src/main.ts'), ...args], {
    env: { ...process.env, ...AWS, HCP_DR_INVOKED_AS: 'kubectl-hcp_dr' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const end = Date.now();
  clearTimeout(killer);
  clearInterval(watch);
  if (firstAt === undefined && store.accepted > before) firstAt = end;
  return { code, stderr, afterFirstConnectionMs: end - (firstAt ?? end) };
}

describe('--request-timeout 3s against an S3 store that never answers', () => {
  let silent: SilentServer;
  let front: TlsFront;
  beforeAll(async () => {
    silent = await startSilentServer();
    front = await startTlsFront(silent.url);
  });
  afterAll(async () => {
    await silent.stop();
    await front.close();
  });

  it('over http: exit 1 within 5 s of the first connection, naming the timeout, with one attempt per request', async () => {
    const before = silent.accepted;
    const out = await run(['backup', 'list', '--from', 's3://backups/hcp', '--endpoint', silent.url, '--request-timeout', '3s'], silent);
    expect(out.stderr).toMatch(/^error: failed to list s3:\/\/backups\/hcp\/: .*timed out after 3000 ms/m);
    expect(out.stderr).toMatch(/^hint: .*--request-timeout/m);
    expect(out.code).toBe(1);
    expect(silent.accepted - before).toBe(1);
    expect(out.afterFirstConnectionMs).toBeLessThan(REQUIREMENT_MS);
  });

  it('over https, a TLS handshake that never completes: exit 1 within 5 s', async () => {
    const https = silent.url.replace('http://', 'https://');
    const out = await run(
      ['backup', 'list', '--from', 's3://backups/hcp', '--endpoint', https, '--ca-bundle', front.caFile, '--request-timeout', '3s'],
      silent,
    );
    expect(out.stderr).toMatch(/^error: failed to list s3:\/\/backups\/hcp\/: .*timed out after 3000 ms/m);
    expect(out.code).toBe(1);
    expect(out.afterFirstConnectionMs).toBeLessThan(REQUIREMENT_MS);
  });

  it('over https, a TLS connection whose requests are never answered: exit 1 within 5 s', async () => {
    const out = await run(
      ['backup', 'list', '--from', 's3://backups/hcp', '--endpoint', front.url, '--ca-bundle', front.caFile, '--request-timeout', '3s'],
      silent,
    );
    expect(out.stderr).toMatch(/^error: failed to list s3:\/\/backups\/hcp\/: .*timed out after 3000 ms/m);
    expect(out.code).toBe(1);
    expect(out.afterFirstConnectionMs).toBeLessThan(REQUIREMENT_MS);
  });
});
