import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdCluster, tempClusterDir, type EtcdCluster } from '../sandbox/etcd/cluster.ts';
import { parseEtcdJson } from '../sandbox/etcd/etcdctl.ts';

const run = promisify(execFile);
const HS_TLS = [
  '--cacert',
  '/etc/etcd/tls/etcd-ca/ca.crt',
  '--cert',
  '/etc/etcd/tls/client/etcd-client.crt',
  '--key',
  '/etc/etcd/tls/client/etcd-client.key',
];

/** Runs argv in member i through the exec bridge and collects the output. */
async function exec(c: EtcdCluster, i: number, argv: string[], namespace?: string) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
  const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
  const code = await c.execInMember(i, argv, { stdout, stderr, namespace });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

async function etcdProcesses(dir: string): Promise<string> {
  const r = await run('pgrep', ['-af', `^/\\S*/etcd .*${dir}`]).catch(() => ({ stdout: '' }));
  return r.stdout.trim();
}

interface HashKv {
  Endpoint: string;
  HashKV: { hash: string; header: { member_id: string; revision: number } };
}

describe('etcd cluster harness (3 members, mTLS)', () => {
  let c: EtcdCluster;
  const dir = tempClusterDir('harness');

  beforeAll(async () => {
    c = await startEtcdCluster({ dir });
  });
  afterAll(async () => {
    await c?.stop();
    expect(existsSync(dir)).toBe(false);
    expect(await etcdProcesses(dir)).toBe('');
  });

  it('starts healthy with mTLS and refuses clients without a certificate', async () => {
    expect(c.endpoints()).toHaveLength(3);
    const h = await c.etcdctl(['endpoint', 'health', '-w', 'json']);
    expect(h.code).toBe(0);
    expect((JSON.parse(h.stdout) as { health: boolean }[]).map((e) => e.health)).toEqual([true, true, true]);
    const withCert = await run('curl', [
      '-sS',
      '--cacert',
      c.tls.ca,
      '--cert',
      c.tls.clientCert,
      '--key',
      c.tls.clientKey,
      `${c.endpoint(0)}/health`,
    ]);
    expect(withCert.stdout).toContain('"health":"true"');
    const noCert = await run('curl', ['-sS', '--cacert', c.tls.ca, `${c.endpoint(0)}/health`]).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(noCert).not.toBe(0);
    const noCertCtl = await run('etcdctl', [
      '--cacert',
      c.tls.ca,
      `--endpoints=${c.endpoint(0)}`,
      '--dial-timeout=1s',
      '--command-timeout=1s',
      'endpoint',
      'health',
    ]).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(noCertCtl).not.toBe(0);
    const members = await c.memberList();
    expect(members.map((m) => m.name).sort()).toEqual(['etcd-0', 'etcd-1', 'etcd-2']);
    expect(members.every((m) => /^[0-9a-f]{1,16}$/.test(m.id))).toBe(true);
  });

  it('kill/start: a killed member misses writes, then catches up on restart', async () => {
    const exited = await c.kill(1);
    expect(exited?.signal).toBe('SIGKILL');
    expect(c.isRunning(1)).toBe(false);
    expect(await c.healthy(1)).toBe(false);
    await c.waitHealthy([0, 2]); // a new leader may need an election first
    await c.put('/while-down', 'yes', 0); // 2 of 3: quorum holds
    await c.start(1);
    expect(await c.get('/while-down', 1)).toBe('yes');
  });

  it('wipe + rejoin (reset-member) comes back healthy with the old keys and a new member ID', async () => {
    await c.seed(1000, { prefix: '/old/' });
    const before = (await c.memberList()).find((m) => m.name === 'etcd-2')!;
    await c.wipe(2);
    expect(existsSync(c.member(2).dataDir)).toBe(false);
    await c.rejoin(2);
    const after = (await c.memberList(0)).find((m) => m.name === 'etcd-2')!;
    expect(after.id).not.toBe(before.id);
    expect(after.status).toBe('started');
    expect(await c.get('/old/00000999', 2)).toBe('v'.repeat(64));
    expect(await c.get('/while-down', 2)).toBe('yes');
  });

  it('a divergent member reports a different hashkv until it rejoins', async () => {
    const hashes = async () => {
      const r = await c.etcdctl(['endpoint', 'hashkv', '-w', 'json']);
      return parseEtcdJson<HashKv[]>(r.stdout).map((e) => e.HashKV.hash);
    };
    const [h0, h1, h2] = await hashes();
    expect(h1).toBe(h0);
    expect(h2).toBe(h0);
    await c.makeDivergent(1);
    const d = await hashes();
    expect(d[0]).toBe(d[2]);
    expect(d[1]).not.toBe(d[0]);
    expect(await c.get('/hcp-dr-test/divergent', 1)).toBe('stray etcd-1');
    expect(await c.get('/old/00000001', 1)).toBeUndefined();
    expect((await c.memberList(0)).length).toBe(3); // the healthy side still lists the old etcd-1
    await c.rejoin(1);
    const healed = await hashes();
    expect(new Set(healed).size).toBe(1);
  });

  describe('exec bridge', () => {
    it('runs etcdctl with HyperShift paths; endpoints come back as in-cluster names', async () => {
      const r = await exec(
        c,
        0,
        ['etcdctl', ...HS_TLS, '--endpoints', 'https://localhost:2379', 'endpoint', 'status', '--cluster', '-w', 'json'],
        'clusters-hc',
      );
      expect(r.code).toBe(0);
      const st = parseEtcdJson<{ Endpoint: string; Status: { header: { member_id: string } } }[]>(r.stdout);
      expect(st.map((s) => s.Endpoint).sort()).toEqual([0, 1, 2].map((i) => `https://etcd-${i}.etcd-discovery.clusters-hc.svc:2379`));
      const ids = (await c.memberList()).map((m) => m.id).sort();
      expect(st.map((s) => BigInt(s.Status.header.member_id).toString(16)).sort()).toEqual(ids);
    });

    it('uses env-only settings and the etcd-client service name', async () => {
      const r = await exec(c, 2, [
        'env',
        'ETCDCTL_CACERT=/etc/etcd/tls/etcd-ca/ca.crt',
        'ETCDCTL_CERT=/etc/etcd/tls/client/etcd-client.crt',
        'ETCDCTL_KEY=/etc/etcd/tls/client/etcd-client.key',
        'ETCDCTL_ENDPOINTS=https://etcd-client:2379',
        'etcdctl',
        'endpoint',
        'health',
        '-w',
        'json',
      ]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)[0].endpoint).toBe(c.endpoint(2));
      // The same setting as env and flag is fatal in real etcdctl; the bridge adds none of its own.
      const clash = await exec(c, 2, [
        'env',
        'ETCDCTL_ENDPOINTS=https://localhost:2379',
        'etcdctl',
        ...HS_TLS,
        '--endpoints',
        'https://localhost:2379',
        'endpoint',
        'health',
      ]);
      expect(clash.code).not.toBe(0);
      expect(clash.stderr).toMatch(/conflicting environment variable/);
    });

    it('snapshot save into /var/lib, sh -c scripts, stdin, and missing binaries', async () => {
      const snap = await exec(c, 1, [
        'etcdctl',
        ...HS_TLS,
        '--endpoints=https://localhost:2379',
        'snapshot',
        'save',
        '/var/lib/snapshot.db',
      ]);
      expect(snap.code).toBe(0);
      expect((await stat(path.join(c.member(1).volumeDir, 'snapshot.db'))).size).toBeGreaterThan(0);
      const sh = await exec(c, 1, [
        'sh',
        '-c',
        'test -f /var/lib/data/member/snap/db && ls /var/lib && echo host=$HOSTNAME && sha256sum /var/lib/snapshot.db | cut -c1-64',
      ]);
      expect(sh.code).toBe(0);
      const digest = createHash('sha256')
        .update(await readFile(path.join(c.member(1).volumeDir, 'snapshot.db')))
        .digest('hex');
      expect(sh.stdout).toBe(`data\nsnapshot.db\nhost=etcd-1\n${digest}\n`);
      expect((await exec(c, 1, ['rm', '/var/lib/snapshot.db'])).code).toBe(0);
      expect(existsSync(path.join(c.member(1).volumeDir, 'snapshot.db'))).toBe(false);
      const stdin = new PassThrough();
      stdin.end('piped-in');
      const wr = await c.execInMember(0, ['sh', '-c', 'cat > /tmp/in.txt && cat /tmp/in.txt > /var/lib/in.txt'], {
        stdin,
        stdout: new PassThrough(),
        stderr: new PassThrough(),
      });
      expect(wr).toBe(0);
      expect(await readFile(path.join(c.member(0).volumeDir, 'in.txt'), 'utf8')).toBe('piped-in');
      expect((await exec(c, 0, ['no-such-binary'])).code).toBe(127);
      expect((await exec(c, 0, ['test', '-f', '/etc/etcd/tls/client/etcd-client-ca.crt'])).code).toBe(1);
    });

    it('streams a 100 MB cat with bounded memory and a slow reader', async () => {
      const file = path.join(c.member(0).volumeDir, 'big.bin');
      const hash = createHash('sha256');
      await pipeline(async function* () {
        for (let i = 0; i < 100; i++) {
          const b = Buffer.alloc(1 << 20, i);
          hash.update(b);
          yield b;
        }
      }, createWriteStream(file));
      const want = hash.digest('hex');
      const got = createHash('sha256');
      let bytes = 0;
      let peak = 0;
      const base = process.memoryUsage().rss;
      const slow = new Writable({
        highWaterMark: 1 << 20,
        write(chunk: Buffer, _e, cb) {
          got.update(chunk);
          bytes += chunk.length;
          peak = Math.max(peak, process.memoryUsage().rss - base);
          if (bytes % (8 << 20) < chunk.length) setTimeout(cb, 5);
          else cb();
        },
      });
      const code = await c.execInMember(0, ['cat', '/var/lib/big.bin'], { stdout: slow, stderr: new PassThrough() });
      expect(code).toBe(0);
      expect(bytes).toBe(100 << 20);
      expect(got.digest('hex')).toBe(want);
      expect(peak).toBeLessThan(64 << 20);
      await exec(c, 0, ['rm', '-f', '/var/lib/big.bin']);
    });

    it('abort kills the command; a stopped container refuses exec', async () => {
      const ac = new AbortController();
      const t0 = Date.now();
      const p = c.execInMember(0, ['sleep', '30'], { stdout: new PassThrough(), stderr: new PassThrough(), signal: ac.signal });
      setTimeout(() => ac.abort(), 100);
      expect(await p).toBe(137);
      expect(Date.now() - t0).toBeLessThan(5000);
      await c.kill(2);
      await expect(exec(c, 2, ['true'])).rejects.toThrow(/not running/);
      expect(
        await c.execInMember(2, ['ls', '/var/lib'], { stdout: new PassThrough(), stderr: new PassThrough() }, { requireRunning: false }),
      ).toBe(0);
      await c.start(2);
    });
  });
});

describe('etcd harness options', () => {
  it('4.11 legacy CA path and a small backend quota (NOSPACE alarm)', async () => {
    const dir = tempClusterDir('legacy');
    const c = await startEtcdCluster({ dir, members: 1, legacyCaPath: true, quotaBytes: 2 * 1024 * 1024 });
    try {
      expect((await exec(c, 0, ['test', '-f', '/etc/etcd/tls/etcd-ca/ca.crt'])).code).toBe(1);
      const legacy = ['--cacert', '/etc/etcd/tls/client/etcd-client-ca.crt', ...HS_TLS.slice(2)];
      expect((await exec(c, 0, ['etcdctl', ...legacy, '--endpoints=https://localhost:2379', 'endpoint', 'health'])).code).toBe(0);
      // 6x the quota: etcd checks it against the backend's committed size, which a loaded machine commits late.
      await expect(c.seed(12000, { valueSize: 1024 })).rejects.toThrow(/database space exceeded/);
      const alarms = await exec(c, 0, ['etcdctl', ...legacy, '--endpoints=https://localhost:2379', 'alarm', 'list']);
      expect(alarms.stdout).toMatch(/alarm:NOSPACE/);
    } finally {
      await c.stop();
    }
    expect(await etcdProcesses(dir)).toBe('');
  });

  it('no etcd outlives a SIGKILLed test process (watchdog)', async () => {
    const dir = tempClusterDir('orphan');
    const script = `import { startEtcdCluster } from ${JSON.stringify(path.resolve('test/sandbox/etcd/cluster.ts'))};
      await startEtcdCluster({ dir: ${JSON.stringify(dir)}, members: 1 }); console.log('up'); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('up')) resolve();
      });
      child.once('exit', () => reject(new Error('child exited early')));
    });
    expect(await etcdProcesses(dir)).not.toBe('');
    child.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while ((await etcdProcesses(dir)) !== '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await etcdProcesses(dir)).toBe('');
    await run('rm', ['-rf', dir]);
  });
});
