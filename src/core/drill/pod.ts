/**
 * The drill's scratch world on the management cluster: one namespace it creates (and removes),
 * holding one bare Pod from the backup's etcd image with an emptyDir at /var/lib. The pod waits
 * until the restored data is in place (a marker file), then runs etcd on it, on the pod's own
 * loopback only: no Service, no DNS, no peer outside the pod, nothing of the hosted cluster.
 * Every step inside the pod is a `sh -c` script run through exec (pure text here).
 */
import { Resources, type KubeObject } from '../model.ts';
import { q } from '../etcd/shell.ts';

export const DRILL_POD = 'hcp-dr-drill-etcd';
export const DRILL_CONTAINER = 'etcd';
export const DRILL_LABEL = 'hcp-dr.openshift.io/drill';
const MANAGED_BY = 'app.kubernetes.io/managed-by';
const DIR = '/var/lib/hcp-dr-drill';
export const DrillPaths = { dir: DIR, snapshot: `${DIR}/snapshot.db`, data: `${DIR}/data`, start: `${DIR}/start` } as const;
const CLIENT = 'http://127.0.0.1:2379';
const PEER = 'http://127.0.0.1:2380';

/** etcdutl where the image has it (3.6 removed `etcdctl snapshot ...`), else etcdctl. */
const TOOL = 'if command -v etcdutl >/dev/null 2>&1; then T=etcdutl; else T=etcdctl; export ETCDCTL_API=3; fi';

/** The default scratch namespace of a hosted cluster's drills: one per cluster, so a re-run finds a dead run's. */
export function defaultScratchNamespace(name: string): string {
  return `hcp-dr-drill-${name.replaceAll('.', '-')}`.slice(0, 63).replace(/-+$/, '');
}

export function scratchNamespaceObject(name: string, annotations: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { [MANAGED_BY]: 'hcp-dr', [DRILL_LABEL]: 'true' }, annotations },
  };
}

/** The etcd command once the data is restored: single member, loopback only, the hosted cluster's quota. */
export function etcdCommand(): string[] {
  return [
    'etcd',
    '--name=drill',
    `--data-dir=${DrillPaths.data}`,
    `--listen-client-urls=${CLIENT}`,
    `--advertise-client-urls=${CLIENT}`,
    `--listen-peer-urls=${PEER}`,
    '--quota-backend-bytes=8589934592',
  ];
}

export function drillPod(namespace: string, image: string, operationId: string): KubeObject {
  const wait = `trap 'exit 0' TERM; while [ ! -e ${q(DrillPaths.start)} ]; do sleep 0.2 & wait $!; done; exec ${etcdCommand().map(q).join(' ')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: DRILL_POD, namespace, labels: { [MANAGED_BY]: 'hcp-dr', [DRILL_LABEL]: operationId } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 5,
      automountServiceAccountToken: false,
      containers: [
        {
          name: DRILL_CONTAINER,
          image,
          command: ['/bin/sh', '-c', wait],
          volumeMounts: [{ name: 'data', mountPath: '/var/lib' }],
        },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
}

export const POD = Resources.pod;

/**
 * Receives the snapshot on stdin (under .part, renamed once complete), prints its SHA-256, then
 * etcd's own reading of it (`snapshot status -w json`) after a line STATUS: one exec for both.
 */
export function receiveScript(): string {
  return [
    'set -e',
    `mkdir -p ${q(DIR)}`,
    `cat > ${q(DrillPaths.snapshot + '.part')}`,
    `mv ${q(DrillPaths.snapshot + '.part')} ${q(DrillPaths.snapshot)}`,
    `sha256sum ${q(DrillPaths.snapshot)}`,
    'echo STATUS',
    TOOL,
    `$T snapshot status ${q(DrillPaths.snapshot)} -w json || echo "STATUS-FAILED $?"`,
  ].join('\n');
}

/** `snapshot restore` (hash check on) into a fresh data dir, then the marker that starts etcd. */
export function restoreScript(): string {
  return [
    'set -e',
    TOOL,
    `rm -rf ${q(DrillPaths.data)}`,
    `$T snapshot restore ${q(DrillPaths.snapshot)} --data-dir=${q(DrillPaths.data)} --name=drill --initial-cluster=drill=${PEER} --initial-advertise-peer-urls=${PEER}`,
    `rm -f ${q(DrillPaths.snapshot)}`,
    // The marker the pod waits for: etcd starts on the restored data.
    `touch ${q(DrillPaths.start)}`,
  ].join('\n');
}

/** etcdctl against the pod's own etcd. */
export function etcdctlScript(...args: string[]): string {
  return `ETCDCTL_API=3 etcdctl --endpoints=${CLIENT} --command-timeout=30s ${args.map(q).join(' ')}`;
}
