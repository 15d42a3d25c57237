/** `npm run sandbox -- up|status|down`: up in the background, status, and down leaving nothing behind. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../sandbox/sandbox.ts';
import { isAlive, runAsync } from '../support/spawn.ts';

let stateDir = '';
const run = (verb: string) =>
  runAsync(process.execPath, [path.join(REPO_ROOT, 'test/sandbox/cli.ts'), verb], { ...process.env, HCP_DR_SANDBOX_STATE: stateDir });

afterAll(async () => {
  await run('down');
  if (stateDir) await rm(path.dirname(stateDir), { recursive: true, force: true });
});

describe('sandbox CLI', () => {
  it('up starts it in the background, status describes it, down stops every process and removes every file', async () => {
    stateDir = path.join(await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-sbcli-')), 'state');
    const up = await run('up');
    expect(up.code, up.out).toBe(0);
    const state = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as { pid: number; kubeconfig: string; dir: string };
    expect(isAlive(state.pid)).toBe(true);
    expect(existsSync(state.kubeconfig)).toBe(true);
    expect(up.out).toContain('all on 127.0.0.1');

    // The env file gives the https S3 endpoint and its CA next to the http one, and the DNS server;
    // sourced as is, the https endpoint answers a listing (restore and move take only https).
    const state2 = JSON.parse(readFileSync(path.join(stateDir, 'state.json'), 'utf8')) as { envFile: string; bucket: string };
    const env = Object.fromEntries(
      [...readFileSync(state2.envFile, 'utf8').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], JSON.parse(m[2] as string) as string]),
    );
    expect(env['HCP_DR_S3_ENDPOINT']).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env['HCP_DR_S3_HTTPS_ENDPOINT']).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(env['HCP_DR_S3_CA_BUNDLE'] as string)).toBe(true);
    expect(env['HCP_DR_DNS_SERVER']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(up.out).toContain(`S3 over https: ${env['HCP_DR_S3_HTTPS_ENDPOINT']}, CA ${env['HCP_DR_S3_CA_BUNDLE']}`);
    expect(up.out).toContain(`DNS server: ${env['HCP_DR_DNS_SERVER']}`);
    const listed = await runAsync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'src/main.ts'),
        'backup',
        'list',
        '--from',
        `s3://${state2.bucket}/hcp`,
        '--endpoint',
        env['HCP_DR_S3_HTTPS_ENDPOINT'] as string,
        '--ca-bundle',
        env['HCP_DR_S3_CA_BUNDLE'] as string,
        '--path-style',
      ],
      { ...process.env, ...env },
    );
    expect(listed.code, listed.out).toBe(0);

    const status = await run('status');
    expect(status.code).toBe(0);
    expect(status.out).toContain(state.kubeconfig);

    const down = await run('down');
    expect(down.code).toBe(0);
    expect(down.out).toContain('nothing left behind');
    expect(isAlive(state.pid)).toBe(false);
    expect(existsSync(state.dir)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    expect((await run('status')).code).toBe(3);
  });
});
