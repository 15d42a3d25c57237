/**
 * The shell scripts `etcd restore` runs in each helper pod, and the paths they use on a member's
 * volume (/var/lib, the PVC data-etcd-N; etcd's data dir is /var/lib/data). Pure text: the
 * workflow runs them through exec.
 *
 * Safety contract of the scripts (each is idempotent and safe to run again after a crash):
 *  - the old data is only ever renamed (mv, atomic on one volume), never deleted, until the
 *    restore is verified; when a member had no data, a marker directory says so;
 *  - the restore writes into a new directory, renamed to /var/lib/data only once complete;
 *  - putBack undoes everything a run did on the volume, whatever the point it reached.
 */
import { Etcd } from '../model.ts';
import { peerUrlOf } from './etcdctl.ts';
import { q } from './shell.ts';
import { BUMP_REVISION } from './versions.ts';

export interface VolumePaths {
  /** The snapshot as received (checked by SHA-256 before use). */
  snapshot: string;
  /** The old data dir, moved aside. */
  old: string;
  /** Marker: the member had no data dir (nothing to put back but an absence). */
  oldEmpty: string;
  /** Where etcdctl/etcdutl restores, before the rename to /var/lib/data. */
  fresh: string;
  /** --from-member: the snapshot saved on that member's volume. */
  source: string;
}

export function volumePaths(operationId: string): VolumePaths {
  const base = `${Etcd.snapshotDir}/hcp-dr`;
  return {
    snapshot: `${base}-restore-${operationId}.db`,
    old: `${base}-old-${operationId}`,
    oldEmpty: `${base}-old-${operationId}.empty`,
    fresh: `${base}-new-${operationId}`,
    source: `${base}-source-${operationId}.db`,
  };
}

/** Chooses the tool: etcdutl where the image has it (etcd 3.6 removed `etcdctl snapshot restore`), else etcdctl. */
const TOOL = 'if command -v etcdutl >/dev/null 2>&1; then T=etcdutl; else T=etcdctl; export ETCDCTL_API=3; fi';

/** Prints tool=<name>, version=<first line of its version> and bump=yes|no (--bump-revision/--mark-compacted). */
export function probeScript(): string {
  return [
    TOOL,
    'echo "tool=$T"',
    'echo "version=$($T version 2>/dev/null | head -n 1)"',
    'if $T snapshot restore --help 2>&1 | grep -q -- --bump-revision && $T snapshot restore --help 2>&1 | grep -q -- --mark-compacted; then echo bump=yes; else echo bump=no; fi',
  ].join('\n');
}

export interface ToolProbe {
  tool: 'etcdutl' | 'etcdctl';
  version: string;
  bumpRevision: boolean;
}

export function parseProbe(stdout: string): ToolProbe | undefined {
  const get = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(stdout)?.[1]?.trim();
  const tool = get('tool');
  if (tool !== 'etcdutl' && tool !== 'etcdctl') return undefined;
  // "etcdctl version: 3.4.23", "etcdutl version: 3.6.0": the number is enough.
  const version = (get('version') ?? '').replace(/^.*version:?\s*/i, '');
  return { tool, version, bumpRevision: get('bump') === 'yes' };
}

/** Receives the snapshot on stdin: written under .part and renamed, so a complete file is never confused with a cut one. */
export function receiveScript(p: VolumePaths): string {
  return `set -e\ncat > ${q(p.snapshot + '.part')}\nmv ${q(p.snapshot + '.part')} ${q(p.snapshot)}`;
}

/** Prints etcd's view of the received file (`snapshot status -w json`). */
export function checkScript(p: VolumePaths): string {
  return [`set -e`, TOOL, `$T snapshot status ${q(p.snapshot)} -w json`].join('\n');
}

export function parseSha256(stdout: string): string | undefined {
  return /^([0-9a-f]{64})\s/m.exec(stdout)?.[1];
}

export interface RestoreFlags {
  member: number;
  replicas: number;
  controlPlaneNamespace: string;
  token: string;
  skipHashCheck: boolean;
  bumpRevision: boolean;
}

export { BUMP_REVISION };

/** The restore arguments after `snapshot restore <file>`. */
export function restoreArgs(p: VolumePaths, f: RestoreFlags): string[] {
  const name = `etcd-${f.member}`;
  const cluster = Array.from({ length: f.replicas }, (_, i) => `etcd-${i}=${peerUrlOf(`etcd-${i}`, f.controlPlaneNamespace)}`).join(',');
  return [
    `--data-dir=${p.fresh}`,
    `--name=${name}`,
    `--initial-cluster=${cluster}`,
    `--initial-advertise-peer-urls=${peerUrlOf(name, f.controlPlaneNamespace)}`,
    `--initial-cluster-token=${f.token}`,
    ...(f.skipHashCheck ? ['--skip-hash-check'] : []),
    ...(f.bumpRevision ? [`--bump-revision=${BUMP_REVISION}`, '--mark-compacted'] : []),
  ];
}

/**
 * Moves the old data aside (once: a rerun keeps the first move), restores into a new directory,
 * renames it to /var/lib/data, and removes the received snapshot (and a --from-member source).
 */
export function restoreScript(p: VolumePaths, f: RestoreFlags): string {
  const data = Etcd.dataDir;
  return [
    'set -e',
    TOOL,
    `if [ ! -e ${q(p.old)} ] && [ ! -e ${q(p.oldEmpty)} ]; then`,
    `  if [ -e ${q(data)} ]; then mv ${q(data)} ${q(p.old)}; else mkdir ${q(p.oldEmpty)}; fi`,
    'fi',
    `rm -rf ${q(data)} ${q(p.fresh)}`,
    `$T snapshot restore ${q(p.snapshot)} ${restoreArgs(p, f).map(q).join(' ')}`,
    `mv ${q(p.fresh)} ${q(data)}`,
    `rm -f ${q(p.snapshot)} ${q(p.source)}`,
  ].join('\n');
}

/** Puts the old data back and removes everything the run wrote on the volume. Idempotent. */
export function putBackScript(p: VolumePaths): string {
  const data = Etcd.dataDir;
  return [
    'set -e',
    `if [ -e ${q(p.old)} ]; then rm -rf ${q(data)}; mv ${q(p.old)} ${q(data)}; fi`,
    `if [ -e ${q(p.oldEmpty)} ]; then rm -rf ${q(data)}; rmdir ${q(p.oldEmpty)}; fi`,
    `rm -rf ${q(p.fresh)}`,
    `rm -f ${q(p.snapshot)} ${q(p.snapshot + '.part')} ${q(p.source)} ${q(p.source + '.part')}`,
  ].join('\n');
}

/** After a verified restore: the moved-aside data removed (unless kept) and any leftover file. */
export function cleanupScript(p: VolumePaths, keepOldData: boolean): string {
  return [
    `rm -rf ${q(p.fresh)} ${q(p.oldEmpty)}${keepOldData ? '' : ` ${q(p.old)}`}`,
    `rm -f ${q(p.snapshot)} ${q(p.snapshot + '.part')} ${q(p.source)} ${q(p.source + '.part')}`,
    `if [ -e ${q(p.old)} ]; then echo ${KEPT}; fi`,
  ].join('\n');
}

/** What cleanupScript prints when the old data is still there. */
export const KEPT = 'old-data-kept';

/** The command a user runs to remove kept old data later. */
export function removeOldDataCommand(controlPlaneNamespace: string, member: number, p: VolumePaths): string {
  return `kubectl exec -n ${controlPlaneNamespace} etcd-${member} -c etcd -- rm -rf ${p.old}`;
}
