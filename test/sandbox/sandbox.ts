/**
 * The sandbox: a hosted control plane built from real parts, on 127.0.0.1 only.
 *  - three real etcd members (Debian etcd) with HyperShift-like mutual TLS and quota;
 *  - the Kubernetes API simulator, seeded with clusters/demo, whose pods/exec in an etcd pod's
 *    `etcd` container runs real commands against that pod's member;
 *  - simulated controllers: the etcd StatefulSet, deployments, a HyperShift operator stand-in;
 *  - an S3 server that verifies SigV4 signatures, with a bucket ready.
 * Test support only: never part of the shipped binary.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.ts';
import { attachEtcdController, etcdExecHandler } from '../support/etcd-controller.ts';
import { attachDeploymentController, attachHyperShiftOperator } from '../support/controllers.ts';
import { startS3Server, type S3Server } from '../support/s3-server.ts';
import { startApiSimulator } from '../support/sim/server.ts';
import type { ApiSimulator } from '../support/sim/types.ts';
import { hostedClusterObjects, type SeedOptions } from './seed.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** HyperShift's CRDs, read from ../shared at run time when present (never copied into the repo). */
export const SHARED_CRDS = path.join(REPO_ROOT, '..', 'shared', 'hypershift', 'crds');

export interface SandboxOptions extends SeedOptions {
  /** Root for every file; a new temp dir (removed by stop) when absent. */
  dir?: string;
  members?: number;
  quotaBytes?: number;
  /** Keys written into etcd after start (default 200). */
  seedKeys?: number;
  /** Load HyperShift's CRDs from ../shared when present (default true). */
  loadCrds?: boolean;
  legacyCaPath?: boolean;
  bucket?: string;
  /** Options for the operator stand-in, e.g. to turn it off in a test. */
  operator?: boolean;
}

export interface SandboxS3 {
  /** The server itself, for fault injection in tests. */
  server: S3Server;
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

export interface Sandbox {
  dir: string;
  kubeconfig: string;
  envFile: string;
  namespace: string;
  name: string;
  controlPlaneNamespace: string;
  sim: ApiSimulator;
  etcd: EtcdCluster;
  s3: SandboxS3;
  /** Environment for the plugin: KUBECONFIG and the AWS variables of the S3 server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const SANDBOX_TOKEN = 'sandbox-admin-token';

/** The sandbox is "up" once the etcd StatefulSet reports every pod ready, as a user would check. */
async function waitForReadyEtcd(sim: ApiSimulator, namespace: string, replicas: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sts = sim.store.get({ group: 'apps', version: 'v1', plural: 'statefulsets' }, namespace, 'etcd');
    if ((sts?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas === replicas) return;
    if (Date.now() > deadline) throw new Error(`sandbox: etcd pods not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'hcp-dr-sandbox-')));
  await mkdir(dir, { recursive: true });
  const namespace = options.namespace ?? 'clusters';
  const name = options.name ?? 'demo';
  const controlPlaneNamespace = `${namespace}-${name.replaceAll('.', '-')}`;
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    stops.length = 0;
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };
  try {
    const [etcd, sim, s3server] = await Promise.all([
      startEtcdCluster({ dir: path.join(dir, 'etcd'), members: options.members ?? 3, ...(options.quotaBytes ? { quotaBytes: options.quotaBytes } : {}), ...(options.legacyCaPath ? { legacyCaPath: true } : {}) }),
      startApiSimulator({ ...(options.loadCrds !== false && existsSync(SHARED_CRDS) ? { crdDir: SHARED_CRDS } : {}) }),
      startS3Server({ dir: path.join(dir, 's3'), buckets: [options.bucket ?? 'hcp-dr-backups'] }),
    ]);
    stops.push(() => etcd.stop(), () => sim.stop(), () => s3server.stop());

    for (const { resource, object } of hostedClusterObjects(options)) sim.store.create(resource, object);
    stops.push(attachDeploymentController(sim.store));
    if (options.operator !== false) stops.push(attachHyperShiftOperator(sim.store));
    if ((options.managementType ?? 'Managed') === 'Managed') {
      stops.push(attachEtcdController(sim.store, etcd, controlPlaneNamespace));
    }
    sim.setExecHandler(etcdExecHandler(etcd, controlPlaneNamespace));
    await etcd.seed(options.seedKeys ?? 200);
    if ((options.managementType ?? 'Managed') === 'Managed') await waitForReadyEtcd(sim, controlPlaneNamespace, etcd.size);

    const kubeconfig = await sim.writeKubeconfig(path.join(dir, 'kubeconfig'), { token: SANDBOX_TOKEN, namespace, contextName: 'sandbox', tls: true });
    const s3: SandboxS3 = { server: s3server, endpoint: s3server.endpoint, region: s3server.region, accessKeyId: s3server.accessKeyId, secretAccessKey: s3server.secretAccessKey, bucket: options.bucket ?? 'hcp-dr-backups' };
    const env = {
      KUBECONFIG: kubeconfig,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
      HCP_DR_S3_ENDPOINT: s3.endpoint,
      HCP_DR_S3_BUCKET: s3.bucket,
    };
    const envFile = path.join(dir, 'sandbox.env');
    await writeFile(envFile, Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`).join('\n') + '\n', { mode: 0o600 });
    await chmod(envFile, 0o600);
    return { dir, kubeconfig, envFile, namespace, name, controlPlaneNamespace, sim, etcd, s3, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
