/**
 * Failure injection for one sandbox etcd (an EtcdCluster and the controller + helper-pod kubelet
 * over it), for tests of `etcd restore` and `etcd recover-member`. One switchboard per cluster:
 *
 *   const faults = etcdFaults(sb.etcd);            // or sb.faults; operator-made planes: etcdFaults(operator.etcd(cp)!)
 *   faults.failHelperPods();                       // helper pods not yet running stay Pending, container
 *                                                  //   waiting ImagePullBackOff (another reason: failHelperPods('ErrImagePull'))
 *   faults.failHelperPods(false);                  // off: Pending helpers start (the next pull succeeds)
 *   faults.failSnapshotRestore();                  // in helper pods, `etcdctl snapshot restore ...` leaves a
 *                                                  //   partial data dir (<data-dir>/member/snap, no db), prints the
 *                                                  //   message to stderr and exits 1 (etcdutl's too on 3.6); other commands run as usual
 *   faults.failSnapshotRestore('Error: ...');      // the same with that stderr line
 *   faults.failSnapshotRestore(false);             // off
 *   await faults.corruptMemberData(1);             // member etcd-1 dies (SIGKILL, pod shows CrashLoopBackOff) and its
 *                                                  //   member/snap/db is overwritten with garbage: every later start on
 *                                                  //   that volume (pod deleted, scale 0 -> 3) exits -> CrashLoopBackOff
 *   faults.clear();                                // every switch off (corrupted data stays corrupted)
 *
 * Independent of the switches, a helper pod whose image contains `does-not-exist` never pulls
 * (ImagePullBackOff). Switches act on what starts or runs after they are flipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EtcdCluster } from './cluster.ts';

export const DEFAULT_RESTORE_FAILURE = 'Error: write /var/lib/data/member/snap/db: no space left on device';
/** Helper pods with an image containing this never start (ImagePullBackOff). */
export const UNPULLABLE_IMAGE_MARK = 'does-not-exist';

export class EtcdFaults {
  /** Waiting reason of helper pods while on (e.g. ImagePullBackOff); undefined: off. */
  helperPodFailure: string | undefined;
  /** stderr line of a failing `snapshot restore` in helper pods; undefined: off. */
  restoreFailure: string | undefined;

  private readonly cluster: EtcdCluster;
  private readonly listeners = new Set<() => void>();

  constructor(cluster: EtcdCluster) {
    this.cluster = cluster;
  }

  failHelperPods(reason: string | false = 'ImagePullBackOff'): void {
    this.helperPodFailure = reason === false ? undefined : reason;
    this.changed();
  }

  failSnapshotRestore(message: string | false = DEFAULT_RESTORE_FAILURE): void {
    this.restoreFailure = message === false ? undefined : message;
    this.changed();
  }

  clear(): void {
    this.helperPodFailure = undefined;
    this.restoreFailure = undefined;
    this.changed();
  }

  /** Called after any switch flips (the helper-pod kubelet re-evaluates Pending pods). */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Kills member i (a crash) and overwrites its member/snap/db with random bytes. */
  async corruptMemberData(i: number): Promise<void> {
    await this.cluster.kill(i);
    const db = path.join(this.cluster.member(i).dataDir, 'member', 'snap', 'db');
    await mkdir(path.dirname(db), { recursive: true });
    await writeFile(db, randomBytes(64 * 1024));
  }

  /**
   * Directory to put first on PATH in helper pods while a command fault is on: a wrapper for each
   * snapshot tool of the image (etcdctl, and etcdutl on 3.6) that fails `snapshot restore` and runs
   * the image's real tool for the rest. Undefined when no command fault is on.
   */
  async binDir(): Promise<string | undefined> {
    if (this.restoreFailure === undefined) return undefined;
    const dir = path.join(this.cluster.dir, 'fault-bin');
    await mkdir(dir, { recursive: true });
    const tools = this.cluster.tools.etcdutl && this.cluster.version === '3.6' ? ['etcdctl', 'etcdutl'] : ['etcdctl'];
    for (const tool of tools) {
      const script = [
        '#!/bin/sh',
        'case " $* " in',
        '  *" snapshot restore "*)',
        '    dd=""; prev=""',
        '    for a in "$@"; do',
        '      [ "$prev" = "--data-dir" ] && dd="$a"',
        '      case "$a" in --data-dir=*) dd="${a#--data-dir=}" ;; esac',
        '      prev="$a"',
        '    done',
        '    [ -n "$dd" ] && mkdir -p "$dd/member/snap"',
        `    echo ${shellQuote(this.restoreFailure)} >&2`,
        '    exit 1 ;;',
        'esac',
        `exec ${shellQuote(path.join(this.cluster.imageBin, tool))} "$@"`,
        '',
      ].join('\n');
      // Written aside and renamed: a wrapper another exec runs at this moment is never half-written.
      const file = path.join(dir, tool);
      const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
      await writeFile(tmp, script, { mode: 0o755 });
      await rename(tmp, file);
    }
    return dir;
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

const registry = new WeakMap<EtcdCluster, EtcdFaults>();

/** The failure switches of `cluster` (one per cluster). */
export function etcdFaults(cluster: EtcdCluster): EtcdFaults {
  let f = registry.get(cluster);
  if (!f) {
    f = new EtcdFaults(cluster);
    registry.set(cluster, f);
  }
  return f;
}
