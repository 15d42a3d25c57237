/**
 * `npm run image`: the OCI image of Containerfile, built offline with podman on this machine.
 *
 *   node plugin/image.ts [--arch amd64|arm64] [--tag localhost/hcp-dr:<version>] [--no-package]
 *                        [--check-reproducible] [--no-archive]
 *
 * 1. the single executable for linux/<arch> (plugin/package.ts; --no-package keeps the one in dist/sea);
 * 2. the root file system of Debian packages (plugin/image-rootfs.sh, .deb files cached in .cache/image);
 * 3. `podman build` of Containerfile FROM scratch, one layer (--layers=false), every timestamp
 *    SOURCE_DATE_EPOCH (default: the last commit's time), into the project's podman storage
 *    (plugin/podman.ts); 4. an OCI archive in dist/image/ for `podman load` / `skopeo copy`.
 * --check-reproducible builds a second time without cache and fails unless the digests are equal.
 * Prints the image's digest, size and the build's wall time.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IMAGE_TAG, podmanSync, STORAGE } from './podman.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const log = (line: string) => process.stderr.write(`image: ${line}\n`);

function fail(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function step(cmd: string, args: string[], what: string, env: Record<string, string> = {}): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status})`);
}

function sourceDateEpoch(): string {
  const fromEnv = process.env['SOURCE_DATE_EPOCH'];
  if (fromEnv) return fromEnv;
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  return git.status === 0 && git.stdout.trim() ? git.stdout.trim() : '0';
}

const hostArch = () => (process.arch === 'arm64' ? 'arm64' : 'amd64');

/** Builds Containerfile into `tag` from what dist/ holds; returns the image's manifest digest (throws on failure). */
export function buildImage(tag: string, arch: string, epoch: string, noCache: boolean): string {
  const args = ['build', '--layers=false', '--timestamp', epoch, '--platform', `linux/${arch}`];
  args.push('--build-arg', `TARGETARCH=${arch}`, '-f', 'Containerfile', '-t', tag);
  if (noCache) args.push('--no-cache');
  const r = podmanSync([...args, root], { timeoutMs: 1_800_000 });
  if (r.code !== 0) throw new Error(`podman build failed (exit ${r.code}):\n${r.stderr.trim()}`);
  const digest = podmanSync(['image', 'inspect', '--format', '{{.Digest}}', tag]);
  if (digest.code !== 0) throw new Error(`podman image inspect ${tag}: ${digest.stderr.trim()}`);
  return digest.stdout.trim();
}

function main(): void {
  const { values } = parseArgs({
    options: {
      arch: { type: 'string', default: hostArch() },
      tag: { type: 'string', default: IMAGE_TAG },
      'no-package': { type: 'boolean', default: false },
      'no-archive': { type: 'boolean', default: false },
      'check-reproducible': { type: 'boolean', default: false },
    },
  });
  const { arch, tag } = values;
  if (arch !== 'amd64' && arch !== 'arm64') fail(`--arch must be amd64 or arm64, not ${arch}`);
  if (podmanSync(['version']).code !== 0) fail('podman is not installed or not usable (apt-get install podman runc; see docs/image.md)');
  const started = Date.now();
  const epoch = sourceDateEpoch();
  if (!values['no-package']) step(process.execPath, ['plugin/package.ts', '--target', `linux/${arch}`], 'plugin/package.ts');
  step('bash', ['plugin/image-rootfs.sh', arch], 'plugin/image-rootfs.sh', { SOURCE_DATE_EPOCH: epoch });
  log(`podman build ${tag} (linux/${arch}, SOURCE_DATE_EPOCH=${epoch})`);
  const digest = buildImage(tag, arch, epoch, false);
  if (values['check-reproducible']) {
    const again = buildImage(`${tag}-rebuild`, arch, epoch, true);
    podmanSync(['rmi', `${tag}-rebuild`]);
    if (again !== digest) fail(`not reproducible: a second build gave ${again}, the first ${digest}`);
    log(`reproducible: a second build without cache gave the same digest`);
  }
  if (!values['no-archive']) {
    mkdirSync(join(root, 'dist', 'image'), { recursive: true });
    const archive = join(root, 'dist', 'image', `hcp-dr_${version}_linux_${arch}.oci.tar`);
    rmSync(archive, { force: true });
    const saved = podmanSync(['save', '--format', 'oci-archive', '-o', archive, tag]);
    if (saved.code !== 0) fail(`podman save: ${saved.stderr.trim()}`);
    log(`archive ${archive}`);
  }
  // Dated as the binary inside: test/setup-image.sh and the Job runner take a source newer than it as stale.
  if (tag === IMAGE_TAG) {
    const stamp = join(STORAGE, 'image.stamp');
    writeFileSync(stamp, `${digest}\n`);
    const binary = statSync(join(root, 'dist', 'sea', `linux_${arch}`, 'kubectl-hcp_dr'));
    utimesSync(stamp, binary.atime, binary.mtime);
  }
  const size = podmanSync(['image', 'inspect', '--format', '{{.Size}}', tag]).stdout.trim();
  log(`${tag} ${digest} (${(Number(size) / 1e6).toFixed(1)} MB, built in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (err) {
    fail((err as Error).message);
  }
}
