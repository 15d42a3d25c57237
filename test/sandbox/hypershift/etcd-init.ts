/**
 * The `etcd-init` init container of HyperShift's etcd StatefulSet (hypershift-domain.md §1.7), run for
 * real "inside" pod etcd-N: a shell script with the real curl and the etcd image's real tools, its /var/lib and
 * /tmp mapped onto the member's volume and pod directories (etcd/exec-bridge.ts).
 *
 * What the script does, as HyperShift's does (written here from its description, not copied):
 *  - /var/lib/data not empty: says so and exits 0 (a non-empty PVC silently keeps its old data);
 *  - `curl -o /tmp/snapshot "$RESTORE_URL_ETCD"` WITHOUT -f: an S3 error (expired or forged pre-signed
 *    URL, missing key) arrives as an XML body, which the script prints to its log and exits 1; a
 *    download cut short fails curl itself (exit 18), under `sh -e`;
 *  - when /usr/bin/etcdutl exists (the etcd 3.6 image, OCP 4.21+): `etcdutl snapshot status`, then
 *    `etcdutl snapshot restore`; else the same with `etcdctl` (3.4 and 3.5 images). The restore goes into
 *    /var/lib/restore, then a move to /var/lib/data.
 *    With the OCPBUGS-99534 fix the restore gets `--name $HOSTNAME --initial-cluster $ETCD_INITIAL_CLUSTER
 *    --initial-cluster-token $HCP_NAMESPACE --initial-advertise-peer-urls <own peer URL>
 *    --bump-revision 1000000000 --mark-compacted`, the last two only where the tool knows them
 *    (etcdutl, and etcdctl 3.5; etcdctl 3.4 has neither).
 *    `splitBrain: true` restores without them, as HyperShift did before the fix: every member
 *    becomes its own one-member cluster (same cluster and member IDs, since the defaults are the same).
 * The pre-signed URL is a credential: it is passed in the environment and never printed.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { EtcdCluster } from '../etcd/cluster.ts';
import type { PodLogs } from '../api/logs.ts';

export interface EtcdInitOptions {
  /** Restore without --name/--initial-cluster/--initial-cluster-token (OCPBUGS-99534). */
  splitBrain?: boolean;
  /** A CA bundle curl trusts (CURL_CA_BUNDLE): the image's trust store, for an S3 endpoint under an internal CA. */
  caBundle?: string;
}

export interface EtcdInitRun {
  code: number;
  /** stdout and stderr, interleaved as they came: the container log. */
  log: string;
}

const SCRIPT = `mkdir -p /var/lib/data
if [ -n "$(ls -A /var/lib/data)" ]; then
  echo "etcd-init: /var/lib/data is not empty, not restoring the snapshot"
  exit 0
fi
echo "etcd-init: downloading the etcd snapshot"
rm -f /tmp/snapshot
curl -sS -o /tmp/snapshot "$RESTORE_URL_ETCD"
if [ "$(head -c 5 /tmp/snapshot)" = "<?xml" ]; then
  echo "etcd-init: the snapshot download returned an error:"
  cat /tmp/snapshot
  echo
  exit 1
fi
echo "etcd-init: restoring the snapshot"
rm -rf /var/lib/restore
if [ -f /usr/bin/etcdutl ]; then
  etcdutl snapshot status /tmp/snapshot -w table
  etcdutl snapshot restore /tmp/snapshot --data-dir=/var/lib/restore "$@" $BUMP
else
  ETCDCTL_API=3 etcdctl snapshot status /tmp/snapshot -w table
  if [ -n "$BUMP" ] && ! etcdctl snapshot restore --help 2>&1 | grep -q -- --bump-revision; then BUMP=""; fi
  ETCDCTL_API=3 etcdctl snapshot restore /tmp/snapshot --data-dir=/var/lib/restore "$@" $BUMP
fi
rm -rf /var/lib/data
mv /var/lib/restore /var/lib/data
rm -f /tmp/snapshot
echo "etcd-init: restored snapshot into /var/lib/data"
`;

/** The revision jump of the fixed flavour's restore (HyperShift's automated restore uses the same). */
export const ETCD_INIT_BUMP = 1_000_000_000;

/** The `--initial-cluster` value of a control plane, in HyperShift's DNS form. */
export function initialCluster(namespace: string, members: number): string {
  return Array.from({ length: members }, (_, i) => `etcd-${i}=${peerUrl(namespace, i)}`).join(',');
}

export function peerUrl(namespace: string, i: number): string {
  return `https://etcd-${i}.etcd-discovery.${namespace}.svc:2380`;
}

/** Runs etcd-init for member i of `cluster` (control-plane namespace `namespace`) with `url`. */
export async function runEtcdInit(
  cluster: EtcdCluster,
  i: number,
  namespace: string,
  url: string,
  options: EtcdInitOptions = {},
): Promise<EtcdInitRun> {
  const chunks: Buffer[] = [];
  const sink = () =>
    new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    });
  // The fix's flags in HyperShift's DNS form; the exec bridge maps etcd-N.etcd-discovery.<ns>.svc:2380
  // onto each member's real 127.0.0.1 peer port, as it does for any argument inside the pod.
  const flags = options.splitBrain
    ? []
    : [
        '--name',
        `etcd-${i}`,
        '--initial-cluster',
        initialCluster(namespace, cluster.size),
        '--initial-cluster-token',
        namespace,
        '--initial-advertise-peer-urls',
        peerUrl(namespace, i),
      ];
  const code = await cluster.execInMember(
    i,
    ['/bin/sh', '-ec', SCRIPT, 'etcd-init', ...flags],
    {
      stdout: sink(),
      stderr: sink(),
      env: {
        RESTORE_URL_ETCD: url,
        HCP_NAMESPACE: namespace,
        BUMP: options.splitBrain ? '' : `--bump-revision ${ETCD_INIT_BUMP} --mark-compacted`,
        ...(options.caBundle ? { CURL_CA_BUNDLE: options.caBundle } : {}),
      },
    },
    { requireRunning: false },
  );
  return { code, log: toPodView(Buffer.concat(chunks).toString('utf8'), cluster, i, namespace) };
}

/** Host paths and 127.0.0.1 ports in a log shown as pod etcd-i sees them (/var/lib, /tmp, /etc/etcd/tls, etcd-N.etcd-discovery...). */
export function toPodView(log: string, cluster: EtcdCluster, i: number, namespace: string): string {
  const pod = cluster.podView(i);
  const names = new Map<string, string>();
  pod.clientPorts.forEach((p, n) => names.set(`127.0.0.1:${p}`, `etcd-${n}.etcd-discovery.${namespace}.svc:2379`));
  pod.peerPorts.forEach((p, n) => names.set(`127.0.0.1:${p}`, `etcd-${n}.etcd-discovery.${namespace}.svc:2380`));
  return log
    .replaceAll(pod.volumeDir, '/var/lib')
    .replaceAll(pod.tmpDir, '/tmp')
    .replaceAll(pod.tlsRoot, '/etc/etcd/tls')
    .replace(/127\.0\.0\.1:\d+/g, (m) => names.get(m) ?? m);
}

/** `GET pods/etcd-N/log?container=etcd` reads member N's own log file, as the pod would show it. */
export function memberLogs(logs: PodLogs, namespace: string, etcd: EtcdCluster): () => void {
  return logs.setSource(namespace, (pod, container) => {
    const m = /^etcd-(\d+)$/.exec(pod);
    if (container !== 'etcd' || !m || Number(m[1]) >= etcd.size) return undefined;
    const i = Number(m[1]);
    try {
      return toPodView(readFileSync(etcd.member(i).logFile, 'utf8'), etcd, i, namespace);
    } catch {
      return '';
    }
  });
}
