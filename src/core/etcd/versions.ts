/**
 * etcd version facts (hypershift-domain.md §6). etcd runs data written by its own minor or the one
 * before; going back a minor is only possible through etcd's downgrade procedure, so a snapshot
 * taken on a newer minor than the target's etcd is refused before any change unless --force.
 * OpenShift ships etcd 3.5.x up to 4.20 and 3.6.x from 4.21.
 */
import { PreconditionError } from '../errors.ts';
import { Etcd } from '../model.ts';
import type { PodExec } from '../ports.ts';

/**
 * The revision jump of `snapshot restore --bump-revision` (with --mark-compacted), as HyperShift's
 * automated restore uses: far above anything written since the snapshot, so no revision repeats and
 * every watch of the old cluster fails as compacted (its client re-lists).
 */
export const BUMP_REVISION = 1_000_000_000;

/** What `etcd restore` says when the image's tool cannot bump (etcd 3.4). */
export function noBumpNote(tool: string, version: string): string {
  return `the revision bump was not possible: ${tool} ${version} has no --bump-revision/--mark-compacted (etcd 3.5 and later have them); restored without them, so clients that watched the old cluster must re-list`;
}

/** [major, minor] of "3.6.17", "v3.5.0", "etcd Version: 3.4.23"; undefined otherwise. */
export function minorOf(version: string | undefined): [number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.\d+)?/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function minorText(v: [number, number]): string {
  return `${v[0]}.${v[1]}`;
}

/** True when `a` is a later minor than `b` (both known). */
export function newerMinor(a: string | undefined, b: string | undefined): boolean {
  const [x, y] = [minorOf(a), minorOf(b)];
  return !!x && !!y && (x[0] > y[0] || (x[0] === y[0] && x[1] > y[1]));
}

/** The etcd minor an OpenShift release tag implies ("...ocp-release:4.21.3-x86_64" -> "3.6"); undefined for a digest. */
export function etcdOfRelease(image: string | undefined): string | undefined {
  const tag = /:(\d+)\.(\d+)\.\d+[^/@]*$/.exec(image ?? '');
  if (!tag || Number(tag[1]) !== 4) return undefined;
  return Number(tag[2]) >= 21 ? '3.6' : '3.5';
}

/** Attempts per pod of `etcd --version`: an exec that fails (a busy API server, a dropped stream) is tried again. */
const VERSION_ATTEMPTS = 3;

/**
 * The server version of the target's etcd, asked from the etcd image itself (`etcd --version` in
 * the first etcd pod whose container runs); undefined when none does (quorum loss with every pod
 * crashing: the helper pods' tool version decides later). An exec that fails is retried: this
 * answer is what refuses a snapshot of a newer minor before any change, and a transient failure
 * must not turn that refusal into a later one.
 */
export async function runningEtcdVersion(exec: PodExec, namespace: string, replicas: number): Promise<string | undefined> {
  for (let i = 0; i < replicas; i++) {
    for (let attempt = 1; attempt <= VERSION_ATTEMPTS; attempt++) {
      const r = await exec
        .exec({ namespace, pod: `etcd-${i}`, container: Etcd.container, command: ['etcd', '--version'] })
        .catch(() => undefined);
      const v = r?.exitCode === 0 ? /etcd Version:\s*(\S+)/i.exec(r.stdout)?.[1] : undefined;
      if (v) return v;
      // The command ran and answered without a version: asking again would answer the same.
      if (r) break;
      if (attempt < VERSION_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
  return undefined;
}

export interface VersionCheck {
  snapshotVersion: string | undefined;
  targetVersion: string | undefined;
  /** Where the target version came from, for the message ("etcd-0", "release 4.21.3"). */
  targetSource: string;
  force: boolean;
  /** The command's retry hint without --force, e.g. "{cmd} etcd restore demo -n clusters --from-backup <url>". */
  command: string;
}

/**
 * Refuses (PreconditionError) a snapshot of a newer minor than the target; returns the notes to
 * report otherwise (a forced downgrade, or a version that could not be compared).
 */
export function checkSnapshotVersion(c: VersionCheck): string[] {
  // No version: a backup from before hcp-dr recorded it, or a snapshot file without storage or cluster version.
  if (!c.snapshotVersion) return [];
  if (!c.targetVersion)
    return [`the target's etcd version is unknown (${c.targetSource}): the snapshot's etcd ${c.snapshotVersion} was not compared with it`];
  if (!newerMinor(c.snapshotVersion, c.targetVersion)) return [];
  const what = `the snapshot was taken on etcd ${c.snapshotVersion}, newer than the target's etcd ${c.targetVersion} (${c.targetSource})`;
  if (c.force) return [`${what}: restored anyway (--force); etcd does not support going back a minor version`];
  const s = minorOf(c.snapshotVersion)!;
  throw new PreconditionError(
    `refusing to restore: ${what}; etcd cannot go back from ${minorText(s)} except through its downgrade procedure`,
    {
      hint: `restore into a cluster whose etcd is ${minorText(s)} or later, or accept the risk with: ${c.command} --force (nothing was changed)`,
    },
  );
}

/**
 * `restore`: the restored control plane runs the etcd of the HostedCluster's release (the release
 * decides the etcd image), so a snapshot of a newer minor than that release's etcd is refused before
 * any change unless --force. Returns the preflight detail and any warning.
 */
export function checkReleaseEtcd(
  snapshotVersion: string | undefined,
  releaseImage: string | undefined,
  force: boolean,
): { detail: string; warnings: string[] } {
  const target = etcdOfRelease(releaseImage);
  const notes = checkSnapshotVersion({
    snapshotVersion,
    targetVersion: target,
    targetSource: `the etcd of release ${releaseImage ?? '(none)'}`,
    force,
    command: '{cmd} restore <backup-url>',
  });
  const detail = !snapshotVersion
    ? 'the backup does not record its etcd version'
    : !target
      ? `snapshot of etcd ${snapshotVersion}; the release's etcd is unknown (${releaseImage ?? 'no release image'})`
      : `snapshot of etcd ${snapshotVersion}, restored into etcd ${target} (release ${releaseImage})`;
  return { detail, warnings: notes.filter((n) => /--force/.test(n)) };
}
