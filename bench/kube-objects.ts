/**
 * Fills a test etcd with Kubernetes-like objects, so that a compression ratio measured on its
 * snapshot means something (random values, as test/sandbox/etcd/fill.ts writes, do not compress).
 *
 * What is written, one object per key under /registry/<resource>/<namespace>/<name> as the API
 * server lays keys out, by count:
 *   35% Pods (labels, owner reference, 1-3 containers with env, probes, resources, volumes, status
 *       with conditions, IPs and image digests; managedFields), 20% ConfigMaps (config text),
 *   15% Secrets stored as kube-apiserver's aescbc encryption leaves them in etcd
 *       ("k8s:enc:aescbc:v1:<key>:" then random ciphertext: incompressible, as in a real cluster),
 *   20% Events, 10% Leases.
 * Every object carries random uids, resourceVersions, timestamps and name suffixes. Objects are
 * JSON, as etcd holds custom resources; built-in types are protobuf in a real etcd, which is
 * denser and compresses somewhat less, so the ratio here is an upper estimate for such data.
 * Each object is under 10 KB so a txn of 128 stays under etcd's 1.5 MiB request limit.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EtcdCluster } from '../test/sandbox/etcd/cluster.ts';
import { Gateway } from '../test/sandbox/etcd/gateway.ts';

const NAMESPACES = ['openshift-monitoring', 'openshift-ingress', 'app-payments', 'app-frontend', 'kube-system', 'openshift-dns'];
const APPS = ['api', 'worker', 'web', 'cache', 'exporter', 'router', 'scheduler', 'gateway'];
const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)] as T;
const hex = (n: number) =>
  randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
const suffix = () => `${hex(10)}-${hex(5)}`;
const time = () => new Date(Date.UTC(2026, 10, 1) + randomInt(30 * 86_400_000)).toISOString().replace(/\.\d+Z$/, 'Z');
const rv = () => String(1_000_000 + randomInt(90_000_000));

function meta(namespace: string, name: string, app: string) {
  return {
    name,
    namespace,
    uid: randomUUID(),
    resourceVersion: rv(),
    creationTimestamp: time(),
    labels: { app, 'app.kubernetes.io/part-of': app, 'pod-template-hash': hex(10) },
    managedFields: [
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        apiVersion: 'v1',
        time: time(),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': {} } },
      },
    ],
  };
}

function container(app: string, i: number) {
  return {
    name: `${app}-${i}`,
    image: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${hex(64)}`,
    command: ['/usr/bin/' + app, '--config=/etc/' + app + '/config.yaml', `--v=${randomInt(5)}`],
    env: Array.from({ length: 4 + randomInt(8) }, (_, k) => ({ name: `${app.toUpperCase()}_SETTING_${k}`, value: hex(8 + randomInt(24)) })),
    ports: [{ containerPort: 8000 + randomInt(2000), protocol: 'TCP', name: 'https' }],
    resources: { requests: { cpu: `${10 + randomInt(200)}m`, memory: `${32 + randomInt(512)}Mi` } },
    livenessProbe: { httpGet: { path: '/healthz', port: 8443, scheme: 'HTTPS' }, initialDelaySeconds: 10, periodSeconds: 10 },
    volumeMounts: [
      { name: 'config', mountPath: `/etc/${app}` },
      { name: 'kube-api-access-' + hex(5), mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
    ],
    terminationMessagePath: '/dev/termination-log',
    imagePullPolicy: 'IfNotPresent',
  };
}

function pod(namespace: string, app: string) {
  const name = `${app}-${suffix()}`;
  const containers = Array.from({ length: 1 + randomInt(3) }, (_, i) => container(app, i));
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      ...meta(namespace, name, app),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${hex(10)}`, uid: randomUUID(), controller: true }],
    },
    spec: {
      containers,
      nodeName: `ip-10-0-${randomInt(256)}-${randomInt(256)}.ec2.internal`,
      serviceAccountName: app,
      volumes: [{ name: 'config', configMap: { name: `${app}-config` } }],
    },
    status: {
      phase: 'Running',
      podIP: `10.128.${randomInt(256)}.${randomInt(256)}`,
      hostIP: `10.0.${randomInt(256)}.${randomInt(256)}`,
      startTime: time(),
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: time(),
      })),
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready: true,
        restartCount: randomInt(3),
        image: c.image,
        imageID: c.image,
        containerID: `cri-o://${hex(64)}`,
        started: true,
      })),
    },
  };
}

function configMap(namespace: string, app: string) {
  const lines = Array.from(
    { length: 20 + randomInt(120) },
    (_, i) => `  ${app}.option${i}: ${pick(['true', 'false', hex(12), String(randomInt(100000)), `https://${app}.${namespace}.svc:8443`])}`,
  );
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: meta(namespace, `${app}-config-${hex(5)}`, app),
    data: { 'config.yaml': `${app}:\n${lines.join('\n')}\n` },
  };
}

function event(namespace: string, app: string) {
  const name = `${app}-${suffix()}`;
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: { name: `${name}.${hex(16)}`, namespace, uid: randomUUID(), resourceVersion: rv(), creationTimestamp: time() },
    involvedObject: { kind: 'Pod', namespace, name, uid: randomUUID(), apiVersion: 'v1', resourceVersion: rv() },
    reason: pick(['Scheduled', 'Pulled', 'Created', 'Started', 'Killing', 'BackOff']),
    message: `Successfully assigned ${namespace}/${name} to ip-10-0-${randomInt(256)}-${randomInt(256)}.ec2.internal`,
    source: { component: 'kubelet', host: `ip-10-0-${randomInt(256)}-${randomInt(256)}` },
    firstTimestamp: time(),
    lastTimestamp: time(),
    count: 1 + randomInt(20),
    type: 'Normal',
  };
}

function lease(namespace: string, app: string) {
  return {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    metadata: meta(namespace, `${app}-lock-${hex(5)}`, app),
    spec: {
      holderIdentity: `${app}-${suffix()}_${randomUUID()}`,
      leaseDurationSeconds: 137,
      acquireTime: time(),
      renewTime: time(),
      leaseTransitions: randomInt(40),
    },
  };
}

/** A Secret as etcd holds it under aescbc encryption: the prefix, then ciphertext. */
const encryptedSecret = (): Buffer => Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:'), randomBytes(16 * (20 + randomInt(200)))]);

/** One key and value of the mix described above. */
export function kubeObject(): [string, string | Buffer] {
  const namespace = pick(NAMESPACES);
  const app = pick(APPS);
  const r = randomInt(100);
  if (r < 15) return [`/registry/secrets/${namespace}/${app}-token-${hex(5)}`, encryptedSecret()];
  const [resource, obj] =
    r < 50
      ? ['pods', pod(namespace, app)]
      : r < 70
        ? ['configmaps', configMap(namespace, app)]
        : r < 90
          ? ['events', event(namespace, app)]
          : ['leases', lease(namespace, app)];
  return [`/registry/${resource}/${namespace}/${obj.metadata.name}`, JSON.stringify(obj)];
}

/** Writes Kubernetes-like objects until about `megabytes` of values are stored; txns of 128, `inFlight` at a time. */
export async function fillKubeObjects(etcd: EtcdCluster, megabytes: number, inFlight = 4): Promise<{ keys: number; bytes: number }> {
  const gateway = new Gateway({
    ca: readFileSync(etcd.tls.ca, 'utf8'),
    cert: readFileSync(etcd.tls.clientCert, 'utf8'),
    key: readFileSync(etcd.tls.clientKey, 'utf8'),
  });
  const goal = megabytes * 1024 * 1024;
  let bytes = 0;
  let keys = 0;
  const worker = async () => {
    while (bytes < goal) {
      // Names carry 20 random bits: two alike in one txn (a few in a million) would fail it, so the later one wins.
      const batch = [...new Map(Array.from({ length: 128 }, kubeObject)).entries()];
      for (const [, v] of batch) bytes += Buffer.byteLength(v);
      keys += batch.length;
      for (let attempt = 1; ; attempt++) {
        try {
          await gateway.putMany(etcd.endpoint(0), batch, 1);
          break;
        } catch (err) {
          // A leader change on a busy machine drops a proposal now and then: send it again.
          if (attempt === 5) throw err;
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, worker));
  } finally {
    gateway.close();
  }
  return { keys, bytes };
}
