/**
 * Restores a snapshot the way an operator would, with the real tool of the test world's etcd version
 * (etcdutl for 3.5 and 3.6, etcdctl for 3.4), into a new data dir, and starts a throwaway
 * single-member etcd of that version on it (plain HTTP on 127.0.0.1) to read keys back.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePorts, releasePorts } from '../../support/ports.ts';
import { cleanEnv, spawnWatched } from './process.ts';
import { defaultEtcdVersion, etcdTools, type EtcdVersion } from './versions.ts';

export interface RestoredEtcd {
  endpoint: string;
  get(key: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export async function startEtcdFromSnapshot(
  snapshot: string,
  dir: string,
  version: EtcdVersion = defaultEtcdVersion(),
): Promise<RestoredEtcd> {
  const tools = etcdTools(version);
  const ports = await freePorts(2);
  const [client, peer] = ports as [number, number];
  const endpoint = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const dataDir = path.join(dir, 'data');
  const restore = spawnSync(
    tools.etcdutl ?? tools.etcdctl,
    [
      'snapshot',
      'restore',
      snapshot,
      '--name',
      'restored',
      '--data-dir',
      dataDir,
      '--initial-cluster',
      `restored=${peerUrl}`,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster-token',
      'restored',
    ],
    { encoding: 'utf8', env: cleanEnv() },
  );
  if (restore.status !== 0) throw new Error(`etcdctl snapshot restore failed: ${restore.stderr}`);
  mkdirSync(dir, { recursive: true });
  const proc = spawnWatched(
    tools.etcd,
    [
      '--name',
      'restored',
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      endpoint,
      '--advertise-client-urls',
      endpoint,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `restored=${peerUrl}`,
    ],
    path.join(dir, 'etcd.log'),
  );
  const etcdctl = (...args: string[]) =>
    spawnSync('etcdctl', ['--endpoints', endpoint, '--dial-timeout=1s', '--command-timeout=2s', ...args], {
      encoding: 'utf8',
      env: cleanEnv(),
    });
  const deadline = Date.now() + 20_000;
  while (etcdctl('endpoint', 'health').status !== 0) {
    if (Date.now() > deadline) throw new Error('restored etcd did not become healthy');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    get: async (key) => {
      const out = etcdctl('get', key, '--print-value-only');
      return out.status === 0 && out.stdout !== '' ? out.stdout.replace(/\n$/, '') : undefined;
    },
    stop: async () => {
      await proc.kill();
      releasePorts(ports);
    },
  };
}
