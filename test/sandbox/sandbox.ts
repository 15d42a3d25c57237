/**
 * The sandbox: a HyperShift world built from real parts, on 127.0.0.1 only.
 *  - one or more management clusters (`clusters`, default 1), each its own Kubernetes API simulator
 *    with a HyperShift operator stand-in (test/sandbox/hypershift/operator.ts): create a
 *    HostedCluster and its control plane appears, with real etcd members, etcd-init restores from a
 *    restoreSnapshotURL, conditions, and deletion through finalizers;
 *  - the first one seeded with clusters/demo: three real etcd members (Debian etcd) with
 *    HyperShift-like mutual TLS and quota, whose pods/exec in an etcd pod's `etcd` container runs
 *    real commands against that pod's member;
 *  - simulated controllers: the etcd StatefulSet, deployments;
 *  - ONE S3 server shared by every management cluster, verifying SigV4 (headers and pre-signed URLs),
 *    with a bucket ready, over http and over https (its own CA, trusted by every etcd-init).
 * One kubeconfig holds a context per management cluster: `sandbox` (the first, current), `sandbox-2`...
 *
 * For moves between management clusters (issue 15):
 *  - `dns` (default on): ONE DNS server on 127.0.0.1 (UDP and TCP, `sb.dns.address`) and, on each
 *    management cluster, a router admitting Routes and an external-DNS stand-in (`cluster.externalDns`,
 *    its own TXT owner id, domain filter `sb.domain`) that publishes the control planes' Route
 *    hostnames as A records to that cluster's `ingressAddress` (127.0.0.11 for the first, 127.0.0.12 for
 *    the second...) with TXT ownership records; `withoutExternalDns: [2]` starts cluster 2 without it.
 *  - `guests` (opt-in): every hosted cluster gets its own API (nodes, OVN pods), published through the
 *    admin kubeconfig Secret its HostedCluster's status.kubeconfig names (`sb.guests`).
 *  - `capi` (opt-in): CAPI and AWS objects with finalizers only a running controller clears, and
 *    OpenShift's machine.openshift.io Machine API next to them.
 *
 * In code: `const sb = await startSandbox({ clusters: 2 })`; `sb.clusters[1].context`,
 * `sb.clusters[1].sim.store`, `sb.clusters[1].operator.etcd('<cp namespace>')`; `sb.stop()`.
 * Test support only: never part of the shipped binary.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcdCluster, type EtcdCluster } from './etcd/cluster.ts';
import type { EtcdVersion } from './etcd/versions.ts';
import { attachEtcdController, etcdExecHandler } from './etcd/controller.ts';
import { attachDeploymentController } from './hypershift/controllers.ts';
import { etcdFaults, type EtcdFaults } from './etcd/faults.ts';
import { attachDrillKubelet } from './etcd/drill-pods.ts';
import { seedKubeStorage } from './hypershift/kube-storage.ts';
import { seedRealIdentity } from './hypershift/seed-pki.ts';
import { startHyperShiftOperator, type AdoptedControlPlane, type HyperShiftOperator } from './hypershift/operator.ts';
import { startS3Server, type S3Server } from './s3/server.ts';
import { startTlsFront } from './net/tls-front.ts';
import { multiKubeconfigYaml } from './api/kubeconfig.ts';
import { startApiSimulator, type RunningSimulator } from './api/server.ts';
import { hostedClusterObjects, type SeedOptions } from './seed.ts';
import { startDnsServer, type DnsServer } from './dns/server.ts';
import { installMachineApi } from './hypershift/capi.ts';
import { linkGuestNodes, standInCloud, type StandInCloud } from './hypershift/cloud.ts';
import { attachRouter, type ExternalDns } from './hypershift/external-dns.ts';
import { guestClusters, type GuestClusters } from './hypershift/guest-cluster.ts';
import { applyHostedCluster } from './hypershift/fixtures.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** HyperShift's CRDs, read from ../shared at run time when present (never copied into the repo). */
export const SHARED_CRDS = path.join(REPO_ROOT, '..', 'shared', 'hypershift', 'crds');

export interface SandboxOptions extends SeedOptions {
  /** Root for every file; a new temp dir (removed by stop) when absent. */
  dir?: string;
  members?: number;
  quotaBytes?: number;
  /** etcd release of every member and of the pods' image: 3.4 (Debian's), 3.5 or 3.6 (default HCP_DR_ETCD_VERSION, else 3.6). */
  etcdVersion?: EtcdVersion;
  /** Keys written into etcd after start (default 200). */
  seedKeys?: number;
  /** Load HyperShift's CRDs from ../shared when present (default true). */
  loadCrds?: boolean;
  legacyCaPath?: boolean;
  bucket?: string;
  /** Options for the operator stand-in, e.g. to turn it off in a test. */
  operator?: boolean;
  /** Management clusters, each its own API simulator and operator stand-in; all share the S3 server (default 1). */
  clusters?: number;
  /** OCPBUGS-99534 switch of every cluster's etcd-init (flip later with cluster.operator.setSplitBrainRestore). */
  splitBrainRestore?: boolean;
  /**
   * Every cluster's etcd-init: "released" (HyperShift as it ships: split brain on HA) or "fixed"
   * (--name/--initial-cluster). Default: HCP_DR_SANDBOX_ETCD_INIT, else released.
   */
  etcdInit?: 'released' | 'fixed';
  /** Back-off before a failed etcd-init runs again (default 10 s). */
  initBackoffMs?: number;
  /**
   * How often each etcd pod's readiness is probed (default 300 ms, so tests see a failure soon). A
   * world of many hosted clusters probes less often: each probe is a TLS request served on this machine.
   */
  readinessPollMs?: number;
  /** The DNS server, routers and external-DNS stand-ins (default true). */
  dns?: boolean;
  /** DNS server: answers lag every change by this long, as Route53 propagation does (default 0; dns/server.ts). */
  dnsPropagationDelayMs?: number;
  /** DNS server: cache answers for their TTL, as a resolver in front of it does (default false). */
  dnsCache?: boolean;
  /** Management clusters (1-based) started without external DNS: no `external-dns` Deployment, no records. */
  withoutExternalDns?: number[];
  /** Hosted clusters' own APIs (nodes, OVN pods) and their admin kubeconfig Secrets (default false). */
  guests?: boolean;
  /** CAPI and platform objects with finalizers and their controller; OpenShift's Machine API CRDs (default false). */
  capi?: boolean;
  /**
   * More hosted clusters on the first management cluster, created through its operator stand-in
   * (each with real etcd: 3 members, or 1 with SingleReplica); up once their etcd is ready.
   * Reach one's etcd with `sb.clusters[0].operator.etcd('<namespace>-<name>')`.
   */
  hostedClusters?: ExtraHostedCluster[];
  /**
   * Every management cluster's etcd image trusts the https S3 front's CA (s3.caFile), as an image an
   * operator built or configured for an internal CA. Default false: the image trusts the machine's
   * system CAs only, so etcd-init's curl refuses the front (curl exit 60), as on a real cluster.
   */
  etcdImageTrustsS3Ca?: boolean;
}

export interface ExtraHostedCluster {
  name: string;
  namespace?: string;
  policy?: 'HighlyAvailable' | 'SingleReplica';
  labels?: Record<string, string>;
}

/** The external-DNS domain filter; the seeded hosted clusters' Route hostnames are inside it. */
export const SANDBOX_DOMAIN = 'hcp.example.com';

/** One management cluster of the sandbox. */
export interface ManagementCluster {
  /** 1-based position; the first holds the seeded hosted cluster. */
  index: number;
  /** Its context in the sandbox kubeconfig: `sandbox`, `sandbox-2`, ... */
  context: string;
  sim: RunningSimulator;
  /** Undefined when started with operator: false. */
  operator?: HyperShiftOperator;
  /** Environment for the plugin pointed at this cluster: the sandbox env with KUBECONFIG's current context set to it. */
  env: Record<string, string>;
  /** Its ingress (router) address, what its external DNS points hostnames at: 127.0.0.1<index>. */
  ingressAddress: string;
  /** Its external-DNS stand-in (absent without dns, or when listed in withoutExternalDns). */
  externalDns?: ExternalDns;
}

export interface SandboxS3 {
  /** The server itself, for fault injection in tests. */
  server: S3Server;
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /**
   * https://127.0.0.1:<port>: the same server behind TLS (its own CA, `caFile`), so pre-signed URLs can be
   * https as HyperShift's CRD demands. etcd-init's curl trusts caFile only where the etcd image
   * does (SandboxOptions.etcdImageTrustsS3Ca, or operator.trustInEtcdImage(caFile)).
   */
  httpsEndpoint: string;
  /** PEM of the https endpoint's CA (for --ca-bundle). */
  caFile: string;
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
  /** The first management cluster's simulator (= clusters[0].sim). */
  sim: RunningSimulator;
  /** The seeded hosted cluster's etcd (gone once that HostedCluster is deleted). */
  etcd: EtcdCluster;
  /** Failure injection for that etcd and its helper pods (test/sandbox/etcd/faults.ts). */
  faults: EtcdFaults;
  /** Every management cluster, in order. */
  clusters: ManagementCluster[];
  s3: SandboxS3;
  /** The DNS server every management cluster's external DNS writes (absent with dns: false). */
  dns?: DnsServer;
  /** The external-DNS domain filter (SANDBOX_DOMAIN). */
  domain: string;
  /** The hosted clusters' own APIs (with guests: true). */
  guests?: GuestClusters;
  /** The stand-in cloud behind every management cluster's AWSMachines (with capi: true; cloud.ts). */
  cloud?: StandInCloud;
  /** Environment for the plugin: KUBECONFIG and the AWS variables of the S3 server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export const SANDBOX_TOKEN = 'sandbox-admin-token';

/** The sandbox is "up" once the etcd StatefulSet reports every pod ready, as a user would check. */
async function waitForReadyEtcd(sim: RunningSimulator, namespace: string, replicas: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sts = sim.store.get({ group: 'apps', version: 'v1', plural: 'statefulsets' }, namespace, 'etcd');
    if ((sts?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas === replicas) return;
    if (Date.now() > deadline) throw new Error(`sandbox: etcd pods not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates the HostedClusters as a user would (the operator stand-in builds their control planes) and waits for their etcd. */
async function addHostedClusters(sim: RunningSimulator, specs: ExtraHostedCluster[]): Promise<void> {
  const HC = { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' };
  for (const spec of specs) {
    const namespace = spec.namespace ?? 'clusters';
    applyHostedCluster(sim.store, { namespace, name: spec.name, ...(spec.policy ? { policy: spec.policy } : {}) });
    if (spec.labels) sim.store.mutate(HC, namespace, spec.name, (o) => void (o.metadata.labels = { ...o.metadata.labels, ...spec.labels }));
  }
  await Promise.all(
    specs.map((spec) =>
      waitForReadyEtcd(
        sim,
        `${spec.namespace ?? 'clusters'}-${spec.name.replaceAll('.', '-')}`,
        spec.policy === 'SingleReplica' ? 1 : 3,
        60_000 + 2_000 * specs.length,
      ),
    ),
  );
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
    const count = Math.max(1, options.clusters ?? 1);
    const simOptions = { ...(options.loadCrds !== false && existsSync(SHARED_CRDS) ? { crdDir: SHARED_CRDS } : {}) };
    const [etcd, sims, s3server] = await Promise.all([
      startEtcdCluster({
        dir: path.join(dir, 'etcd'),
        members: options.members ?? 3,
        ...(options.quotaBytes ? { quotaBytes: options.quotaBytes } : {}),
        ...(options.etcdVersion ? { etcdVersion: options.etcdVersion } : {}),
        ...(options.legacyCaPath ? { legacyCaPath: true } : {}),
      }),
      Promise.all(Array.from({ length: count }, () => startApiSimulator(simOptions))),
      startS3Server({ dir: path.join(dir, 's3'), buckets: [options.bucket ?? 'hcp-dr-backups'] }),
    ]);
    stops.push(
      () => etcd.stop(),
      ...sims.map((sim) => () => sim.stop()),
      () => s3server.stop(),
    );
    const dns =
      options.dns !== false
        ? await startDnsServer({
            ...(options.dnsPropagationDelayMs ? { propagationDelayMs: options.dnsPropagationDelayMs } : {}),
            ...(options.dnsCache ? { cache: true } : {}),
          })
        : undefined;
    if (dns) stops.push(() => dns.stop());
    const guests = options.guests ? guestClusters(dns ? { zone: dns.zone } : {}) : undefined;
    if (guests) stops.push(() => guests.stop());
    const cloud = options.capi ? standInCloud() : undefined;
    if (cloud && guests) stops.push(linkGuestNodes(cloud, guests));
    // The https front serves the sandbox's own 127.0.0.1 certificate (etcd's server certificate, signed by the
    // sandbox CA): no extra key generation at start.
    // The CA is copied out: the seeded etcd's files go when its HostedCluster is deleted.
    const [frontKey, frontCert, frontCa] = await Promise.all(
      [etcd.tls.serverKey, etcd.tls.serverCert, etcd.tls.ca].map((f) => readFile(f, 'utf8')),
    );
    const s3CaFile = path.join(dir, 's3-https-ca.crt');
    await writeFile(s3CaFile, frontCa!);
    const s3front = await startTlsFront(s3server.endpoint, { key: frontKey!, cert: frontCert!, caFile: s3CaFile });
    stops.push(() => s3front.close());
    const sim = sims[0]!;

    // The release matches the etcd it runs (hypershift-domain.md §6: 3.6 from OpenShift 4.21).
    const release = options.release ?? `quay.io/openshift-release-dev/ocp-release:${etcd.version === '3.6' ? '4.21.3' : '4.19.3'}-x86_64`;
    for (const { resource, object } of hostedClusterObjects({ ...options, release })) sim.store.create(resource, object);
    await seedRealIdentity(sim.store, controlPlaneNamespace);
    const managed = (options.managementType ?? 'Managed') === 'Managed';
    const adopt: AdoptedControlPlane[] = [];
    if (managed) {
      const detach = attachEtcdController(
        sim.store,
        etcd,
        controlPlaneNamespace,
        options.readinessPollMs !== undefined ? { pollMs: options.readinessPollMs } : {},
      );
      stops.push(detach);
      adopt.push({ namespace, name, etcd, detach });
    }
    const clusters: ManagementCluster[] = [];
    for (const [k, s] of sims.entries()) {
      stops.push(attachDeploymentController(s.store));
      const ingressAddress = `127.0.0.${11 + k}`;
      // drill's scratch pods run real etcd processes (etcd/drill-pods.ts).
      const drillKubelet = attachDrillKubelet(s.store, { dir: path.join(dir, `mgmt-${k + 1}`, 'drill'), version: etcd.version });
      stops.push(() => drillKubelet.stop());
      if (dns) stops.push(attachRouter(s.store, { canonicalHostname: `router-default.apps.mgmt-${k + 1}.sandbox` }));
      if (options.capi) installMachineApi(s.store);
      let operator: HyperShiftOperator | undefined;
      if (options.operator !== false) {
        operator = startHyperShiftOperator(s, {
          dir: path.join(dir, `mgmt-${k + 1}`),
          ...(k === 0 ? { adopt } : {}),
          ...(options.splitBrainRestore !== undefined
            ? { splitBrainRestore: options.splitBrainRestore }
            : options.etcdInit
              ? { splitBrainRestore: options.etcdInit === 'released' }
              : {}),
          ...(options.initBackoffMs !== undefined ? { initBackoffMs: options.initBackoffMs } : {}),
          ...(options.readinessPollMs !== undefined ? { pollMs: options.readinessPollMs } : {}),
          ...(options.quotaBytes ? { quotaBytes: options.quotaBytes } : {}),
          etcdVersion: etcd.version,
          ...(options.etcdImageTrustsS3Ca ? { etcdImageTrustedCas: [s3front.caFile] } : {}),
          ...(dns && !options.withoutExternalDns?.includes(k + 1)
            ? { externalDns: { zone: dns.zone, domainFilter: SANDBOX_DOMAIN, ingressAddress } }
            : {}),
          ...(guests ? { guests } : {}),
          ...(options.capi ? { capi: true } : {}),
          ...(cloud ? { cloud: { cloud, cluster: k === 0 ? 'sandbox' : `sandbox-${k + 1}` } } : {}),
        });
        const op = operator;
        stops.push(() => op.stop());
        s.setExecHandler(drillKubelet.execHandler(op.execHandler));
      } else if (k === 0) s.setExecHandler(drillKubelet.execHandler(etcdExecHandler(etcd, controlPlaneNamespace)));
      clusters.push({
        index: k + 1,
        context: k === 0 ? 'sandbox' : `sandbox-${k + 1}`,
        sim: s,
        ...(operator ? { operator } : {}),
        env: {},
        ingressAddress,
        ...(operator?.externalDns ? { externalDns: operator.externalDns } : {}),
      });
    }
    await etcd.seed(options.seedKeys ?? 200);
    // Secrets as kube-apiserver stores them, encrypted with the cluster's AES-CBC key (hypershift/kube-storage.ts).
    const encryptionKey = sim.store.get({ group: '', version: 'v1', plural: 'secrets' }, namespace, `${name}-etcd-encryption-key`);
    const keyData = (encryptionKey?.['data'] as { key?: string } | undefined)?.key;
    if (keyData) await seedKubeStorage(etcd, Buffer.from(keyData, 'base64'));
    if (managed) await waitForReadyEtcd(sim, controlPlaneNamespace, etcd.size);
    if (options.hostedClusters?.length) await addHostedClusters(sim, options.hostedClusters);

    const kubeconfig = path.join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      multiKubeconfigYaml(
        clusters.map((c) => ({ url: c.sim.httpsUrl, options: { token: SANDBOX_TOKEN, namespace, contextName: c.context, tls: true } })),
      ),
      { mode: 0o600 },
    );
    await chmod(kubeconfig, 0o600);
    const s3: SandboxS3 = {
      server: s3server,
      endpoint: s3server.endpoint,
      httpsEndpoint: s3front.url,
      caFile: s3front.caFile,
      region: s3server.region,
      accessKeyId: s3server.accessKeyId,
      secretAccessKey: s3server.secretAccessKey,
      bucket: options.bucket ?? 'hcp-dr-backups',
    };
    const env = {
      KUBECONFIG: kubeconfig,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
      HCP_DR_S3_ENDPOINT: s3.endpoint,
      // restore and move need https (HyperShift's CRD takes only https snapshot URLs): the same server behind TLS.
      HCP_DR_S3_HTTPS_ENDPOINT: s3.httpsEndpoint,
      HCP_DR_S3_CA_BUNDLE: s3.caFile,
      HCP_DR_S3_BUCKET: s3.bucket,
      ...(dns ? { HCP_DR_DNS_SERVER: dns.address } : {}),
    };
    for (const c of clusters) {
      if (c.index === 1) c.env = env;
      else {
        const own = path.join(dir, `kubeconfig-${c.context}`);
        await writeFile(
          own,
          multiKubeconfigYaml(
            [c, ...clusters.filter((o) => o !== c)].map((o) => ({
              url: o.sim.httpsUrl,
              options: { token: SANDBOX_TOKEN, namespace, contextName: o.context, tls: true },
            })),
          ),
          { mode: 0o600 },
        );
        c.env = { ...env, KUBECONFIG: own };
      }
    }
    const envFile = path.join(dir, 'sandbox.env');
    await writeFile(
      envFile,
      Object.entries(env)
        .map(([k, v]) => `export ${k}=${JSON.stringify(v)}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    await chmod(envFile, 0o600);
    const faults = etcdFaults(etcd);
    return {
      dir,
      kubeconfig,
      envFile,
      namespace,
      name,
      controlPlaneNamespace,
      sim,
      etcd,
      faults,
      clusters,
      s3,
      ...(dns ? { dns } : {}),
      domain: SANDBOX_DOMAIN,
      ...(guests ? { guests } : {}),
      ...(cloud ? { cloud } : {}),
      env,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
