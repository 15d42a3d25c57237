/**
 * What released HyperShift leaves to the SRE after the documented migration of an HA hosted
 * cluster (hypershift-domain.md §3.1): the membership check of §2.6 step 6, and the in-place etcd
 * restore by hand of §2.4 steps 3-8 that repairs a split brain. Used by move-by-hand.ts.
 */
import { Etcd } from '../src/core/model.ts';
import type { KubeSession } from '../src/core/ports.ts';
import { bareSequence, type Timed } from './in-place-by-hand.ts';

const CP = 'clusters-demo';
const TLS = ['--cacert', Etcd.caPath, '--cert', Etcd.clientCert, '--key', Etcd.clientKey, '--endpoints', Etcd.localEndpoint];
export type { Timed };

/** §2.6 step 6 / §2.1: every member lists all three and their hashkv agree; false when they do. */
export async function splitBrain(dst: KubeSession): Promise<boolean> {
  const ask = async (pod: string, args: string[]) => {
    const r = await dst.exec.exec({ namespace: CP, pod, container: Etcd.container, command: ['etcdctl', ...TLS, ...args, '-w', 'json'] });
    if (r.exitCode !== 0) throw new Error(`${pod}: etcdctl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown;
  };
  const pods = ['etcd-0', 'etcd-1', 'etcd-2'];
  const members = await Promise.all(pods.map((p) => ask(p, ['member', 'list'])));
  const hashes = await Promise.all(pods.map((p) => ask(p, ['endpoint', 'hashkv'])));
  const sizes = members.map((m) => (m as { members?: unknown[] }).members?.length ?? 0);
  const hashOf = (h: unknown) => JSON.stringify((h as { HashKV?: { hash?: number } }[])[0]?.HashKV?.hash);
  return sizes.some((n) => n !== pods.length) || new Set(hashes.map(hashOf)).size > 1;
}

/** §2.4 steps 3-8 on the destination: the in-place restore by hand of in-place-by-hand.ts, with its steps timed. */
export async function repairByHand(c: KubeSession, file: string, timed: Timed): Promise<void> {
  await bareSequence(c, file, '', timed);
}
