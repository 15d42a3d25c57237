/**
 * podman as this project runs it (`npm run image`, the image tests, the sandbox's container kubelet):
 * one storage of its own (.cache/podman, vfs: no overlay or fuse needed), the runc runtime with the
 * cgroupfs manager, and a containers.conf without default ulimits (crun and the default
 * RLIMIT_NOFILE fail on machines of this project's kind: see docs/image.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** The tag `npm run image` gives the image of this checkout's version. */
export const IMAGE_TAG = `localhost/hcp-dr:${version}`;
export const STORAGE = join(root, '.cache', 'podman');

export interface Podman {
  /** argv[0] and the global options every call takes. */
  argv: string[];
  /** CONTAINERS_CONF for the podman process. */
  env: Record<string, string>;
}

export function podman(): Podman {
  mkdirSync(STORAGE, { recursive: true });
  const conf = join(STORAGE, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = []\n');
  const runroot = join(os.tmpdir(), `hcp-dr-podman-run-${process.getuid?.() ?? 0}`);
  return {
    argv: [
      'podman',
      '--root',
      join(STORAGE, 'storage'),
      '--runroot',
      runroot,
      '--storage-driver',
      'vfs',
      '--runtime',
      'runc',
      '--cgroup-manager',
      'cgroupfs',
    ],
    env: { CONTAINERS_CONF: conf },
  };
}

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs podman synchronously with the project's global options. */
export function podmanSync(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): PodmanResult {
  const p = podman();
  const [cmd = 'podman', ...global] = p.argv;
  const r = spawnSync(cmd, [...global, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...p.env, ...opts.env },
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) return { code: 127, stdout: '', stderr: r.error.message };
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Why containers of `image` cannot run here, or undefined when they can: podman missing, not root
 * (rootless podman needs subuids this project does not set up), the image not built, or a trivial
 * run of it failing.
 */
export function cannotRun(image = IMAGE_TAG): string | undefined {
  if (process.platform !== 'linux') return `podman containers need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'podman runs containers here as root only (rootless needs subuid ranges)';
  const v = podmanSync(['version', '--format', '{{.Client.Version}}'], { timeoutMs: 30_000 });
  if (v.code !== 0) return `podman is not usable (${v.stderr.trim().split('\n')[0] || `exit ${v.code}`}): test/setup.sh installs it`;
  if (podmanSync(['image', 'exists', image]).code !== 0) return `the image ${image} is not built (npm run image builds it)`;
  const run = podmanSync(['run', '--rm', '--network', 'none', image, 'version'], { timeoutMs: 60_000 });
  if (run.code !== 0) return `podman cannot run ${image}: ${(run.stderr.trim().split('\n').pop() ?? '') || `exit ${run.code}`}`;
  return undefined;
}
