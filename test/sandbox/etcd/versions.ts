/**
 * The etcd versions the test world runs (hypershift-domain.md §6): Debian's 3.4 (/usr/bin), and the
 * pinned 3.5 and 3.6 releases test/setup-etcd.sh builds into .cache/etcd/<pin>/bin (same pins there).
 *
 * Each version's "image" is what OpenShift's etcd image holds for it, as the pods' /usr/bin sees it:
 *  - 3.4 and 3.5: etcd and etcdctl (snapshot status/restore through etcdctl, no etcdutl), which is
 *    why HyperShift's etcd-init branches on /usr/bin/etcdutl;
 *  - 3.6: etcd, etcdctl (3.6's own, which has no `snapshot restore|status`) and etcdutl.
 * The default version is HCP_DR_ETCD_VERSION when set (CI runs the etcd suites once per version), else
 * the newest.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type EtcdVersion = '3.4' | '3.5' | '3.6';
export const ETCD_VERSIONS: readonly EtcdVersion[] = ['3.4', '3.5', '3.6'];
export const NEWEST_ETCD: EtcdVersion = '3.6';

/** The releases test/setup-etcd.sh builds (keep both lists in step). */
export const ETCD_PINS: Record<Exclude<EtcdVersion, '3.4'>, string> = { '3.5': 'v3.5.36', '3.6': 'v3.6.17' };

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface EtcdTools {
  version: EtcdVersion;
  etcd: string;
  etcdctl: string;
  /** Absent from the 3.4 and 3.5 images. */
  etcdutl?: string;
}

export function isEtcdVersion(v: unknown): v is EtcdVersion {
  return typeof v === 'string' && (ETCD_VERSIONS as readonly string[]).includes(v);
}

/** HCP_DR_ETCD_VERSION, else the newest; an unknown value is an error, not a silent fallback. */
export function defaultEtcdVersion(): EtcdVersion {
  const env = process.env['HCP_DR_ETCD_VERSION'];
  if (env === undefined || env === '') return NEWEST_ETCD;
  if (!isEtcdVersion(env)) throw new Error(`HCP_DR_ETCD_VERSION=${env}: expected one of ${ETCD_VERSIONS.join(', ')}`);
  return env;
}

/** Host paths of a version's binaries; throws with the set-up command when they are not built. */
export function etcdTools(version: EtcdVersion): EtcdTools {
  if (version === '3.4') return { version, etcd: '/usr/bin/etcd', etcdctl: '/usr/bin/etcdctl' };
  const bin = path.join(REPO, '.cache', 'etcd', ETCD_PINS[version], 'bin');
  const tools = { version, etcd: path.join(bin, 'etcd'), etcdctl: path.join(bin, 'etcdctl'), etcdutl: path.join(bin, 'etcdutl') };
  for (const f of [tools.etcd, tools.etcdctl, tools.etcdutl]) {
    if (!existsSync(f)) throw new Error(`etcd ${version} is not built (${f} missing): run test/setup.sh (or test/setup-etcd.sh)`);
  }
  return tools;
}

/** True when the version's binaries are there (3.4: Debian's). */
export function etcdAvailable(version: EtcdVersion): boolean {
  try {
    etcdTools(version);
    return true;
  } catch {
    return false;
  }
}

/** The tools of the version's etcd image, by their name in the image's /usr/bin. */
export function imageTools(version: EtcdVersion): Record<string, string> {
  const t = etcdTools(version);
  return version === '3.6' ? { etcd: t.etcd, etcdctl: t.etcdctl, etcdutl: t.etcdutl! } : { etcd: t.etcd, etcdctl: t.etcdctl };
}

/** Lays out `dir` as the image's etcd tools (symlinks), for the pods' PATH and /usr/bin/etcd* paths. */
export async function writeImageDir(version: EtcdVersion, dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [name, target] of Object.entries(imageTools(version))) await symlink(target, path.join(dir, name));
  return dir;
}

/** "3.6.17" -> "3.6"; undefined for anything else. */
export function minorOf(full: string): EtcdVersion | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(full.trim());
  const v = m ? `${m[1]}.${m[2]}` : undefined;
  return isEtcdVersion(v) ? v : undefined;
}
