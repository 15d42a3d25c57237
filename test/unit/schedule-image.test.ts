/**
 * The container image's one definition, read without a container runtime: Containerfile's one stage
 * FROM scratch, the root file system plugin/image-rootfs.sh writes, non-root USER, and the COPY of
 * exactly the binary path plugin/package.ts writes, to the path the CronJobs of `schedule` run; the
 * build context lets those through; `npm run image` (plugin/image.ts) and the release workflow both
 * build that Containerfile from that script's root file systems. Building and running the image:
 * test/integration/image.test.ts.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { IMAGE_BINARY } from '../../src/core/schedule/cronjob.ts';
import { archiveName } from '../../plugin/krew-manifest.ts';
import { exeSuffix, targetId, type Target } from '../../plugin/node-dist.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const LINUX: Target[] = [
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
];

interface Instruction {
  op: string;
  args: string;
}

/** Instructions of a Containerfile: continuation lines joined, comments and blank lines dropped. */
function instructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) && current === '') continue;
    const cont = line.endsWith('\\');
    current += (current ? ' ' : '') + (cont ? line.slice(0, -1) : line).trim();
    if (!cont) {
      if (current.trim()) logical.push(current.trim());
      current = '';
    }
  }
  return logical.map((l) => {
    const [op = '', ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

/** Where plugin/package.ts and plugin/sea.ts put the executable of a target (read from their source). */
function packagedBinary(t: Target): string {
  expect(read('plugin/package.ts')).toContain("const workdir = join(root, 'dist', 'sea', targetId(t));");
  expect(read('plugin/sea.ts')).toContain('const exe = join(workdir, `kubectl-hcp_dr${exeSuffix(target)}`);');
  return `dist/sea/${targetId(t)}/kubectl-hcp_dr${exeSuffix(t)}`;
}

describe('Containerfile', () => {
  const steps = instructions(read('Containerfile'));
  const of = (op: string) => steps.filter((s) => s.op === op);

  it('when parsed, it is one stage FROM scratch (no base image to pull), with no RUN or ADD', () => {
    expect(of('FROM').map((s) => s.args)).toEqual(['scratch']);
    expect(of('RUN')).toEqual([]);
    expect(of('ADD')).toEqual([]);
  });

  it('when parsed, its user is numeric and not root, and it is the last user set', () => {
    const users = of('USER');
    const last = users[users.length - 1]?.args ?? '';
    expect(last).toMatch(/^\d+(:\d+)?$/);
    expect(Number(last.split(':')[0])).toBeGreaterThan(0);
    expect(Number(last.split(':')[1] ?? '1')).toBeGreaterThan(0);
  });

  it('when the target platform is linux/amd64 or linux/arm64, the root file system of image-rootfs.sh is copied to /, its home to nonroot', () => {
    const copies = of('COPY').map((c) => c.args);
    expect(read('plugin/image-rootfs.sh')).toContain('out="dist/image/rootfs-$arch"');
    expect(copies[0]).toBe('dist/image/rootfs-${TARGETARCH}/ /');
    expect(read('plugin/image-rootfs.sh')).toContain('../nonroot-home');
    expect(copies[1]).toBe('--chown=65532:65532 dist/image/nonroot-home/ /home/nonroot/');
  });

  it('when the target platform is linux/amd64 or linux/arm64, the last COPY takes the binary plugin/package.ts writes to the path the CronJobs run', () => {
    const copies = of('COPY');
    expect(copies).toHaveLength(3);
    const binary = copies[2];
    const parts = (binary?.args ?? '').split(/\s+/).filter((p) => !p.startsWith('--'));
    expect(parts).toHaveLength(2);
    expect(binary?.args).toMatch(/--chmod=0?555/);
    expect(of('ARG').map((s) => s.args)).toContain('TARGETARCH');
    for (const t of LINUX) expect((parts[0] ?? '').replace('${TARGETARCH}', t.arch)).toBe(packagedBinary(t));
    expect(parts[1]).toBe(IMAGE_BINARY);
    expect(of('ENTRYPOINT').map((s) => JSON.parse(s.args) as string[])).toEqual([[IMAGE_BINARY]]);
  });

  it('when the build context is filtered by .dockerignore, the two binaries, two root file systems and the home pass, nothing else', () => {
    const rules = read('.dockerignore')
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const rootfs = LINUX.map((t) => `!dist/image/rootfs-${t.arch}`);
    const pass = [...LINUX.map((t) => `!${packagedBinary(t)}`), ...rootfs, '!dist/image/nonroot-home'];
    expect(rules.slice(1).sort()).toEqual(pass.sort());
  });

  it('when `npm run image` runs, it builds this Containerfile from the root file system of image-rootfs.sh', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts['image']).toBe('node plugin/image.ts');
    const image = read('plugin/image.ts');
    expect(image).toContain("'-f', 'Containerfile'");
    expect(image).toContain("'plugin/image-rootfs.sh', arch");
    expect(image).toContain("'plugin/package.ts', '--target', `linux/${arch}`");
  });

  it('when a linux/amd64 package was built on this machine, the file the image copies is an executable ELF', (ctx) => {
    const binary = path.join(root, packagedBinary({ os: 'linux', arch: 'amd64' }));
    if (!existsSync(binary)) return ctx.skip(); // npm run package not run in this checkout
    const head = Buffer.alloc(4);
    const fd = openSync(binary, 'r');
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    expect(head).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  });
});

describe('release workflow', () => {
  type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
  type Job = {
    needs?: string | string[];
    steps: Step[];
    permissions?: Record<string, string>;
    strategy?: { matrix: { include: Array<{ target: string }> } };
  };
  const workflow = yaml.load(read('.github/workflows/release.yml')) as { jobs: Record<string, Job> };

  it('when parsed, the image job pushes Containerfile to ghcr.io for linux/amd64 and linux/arm64 after the build', () => {
    const image = workflow.jobs['image'] as Job;
    expect(image.needs).toBe('build');
    expect(image.permissions).toMatchObject({ packages: 'write' });
    const push = image.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(push?.with).toMatchObject({ file: 'Containerfile', push: true, context: '.' });
    expect(String(push?.with?.['platforms']).split(',').sort()).toEqual(['linux/amd64', 'linux/arm64']);
    const meta = image.steps.find((s) => s.uses?.startsWith('docker/metadata-action@'));
    expect(String(meta?.with?.['images'])).toMatch(/^ghcr\.io\//);
    expect(image.steps.some((s) => s.uses?.startsWith('docker/login-action@') && s.with?.['registry'] === 'ghcr.io')).toBe(true);
  });

  it('when the image job builds, it first assembles both root file systems with the script `npm run image` runs, in Debian 12', () => {
    const steps = (workflow.jobs['image'] as Job).steps;
    const rootfs = steps.findIndex((s) => s.run?.includes('bash plugin/image-rootfs.sh amd64 arm64'));
    const push = steps.findIndex((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(rootfs).toBeGreaterThan(-1);
    expect(rootfs).toBeLessThan(push);
    expect(steps[rootfs]?.run).toContain('debian:12');
    expect(steps[rootfs]?.run).toContain('-e SOURCE_DATE_EPOCH');
  });

  it('when the image job unpacks the archives, it reads the archive names the build job writes, for both linux targets', () => {
    const targets = (workflow.jobs['build'] as Job).strategy?.matrix.include.map((m) => m.target) ?? [];
    expect(targets).toEqual(expect.arrayContaining(['linux/amd64', 'linux/arm64']));
    const unpack = (workflow.jobs['image'] as Job).steps.find((s) => s.run?.includes('tar -xzf'))?.run ?? '';
    expect(unpack).toMatch(/for arch in amd64 arm64/);
    for (const t of LINUX) {
      const line = unpack.replace('${{ steps.pin.outputs.version }}', '9.9.9').replaceAll('$arch', t.arch);
      expect(line).toContain(`dist/release/${archiveName('9.9.9', t)}`);
      expect(line).toContain(`-C "dist/sea/${targetId(t)}" kubectl-hcp_dr`);
    }
  });
});
