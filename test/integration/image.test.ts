/**
 * The image `npm run image` builds (localhost/hcp-dr:<version>, plugin/image.ts), run with podman:
 * the binary runs as the image's non-root user with no shell in the image; the CA bundle, the time
 * zone data and passwd/group are in its file system; two builds of the same inputs give one digest.
 * Skipped, saying why, where podman cannot run the image (not installed, not root, not built).
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../plugin/image.ts';
import { cannotRun, IMAGE_TAG, podmanSync } from '../../plugin/podman.ts';
import { IMAGE_BINARY } from '../../src/core/schedule/cronjob.ts';

const root = path.resolve(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const why = cannotRun(IMAGE_TAG);
if (why) console.warn(`skipping the image tests: ${why}`);

const run = (args: string[], runOpts: string[] = []) => podmanSync(['run', '--rm', '--network', 'none', ...runOpts, IMAGE_TAG, ...args]);

describe.skipIf(why !== undefined)(`the image ${IMAGE_TAG}, run with podman`, () => {
  // Made in beforeAll, not at collection: a skipped suite leaves no directory behind.
  let tmp = '';
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-image-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('when run with `version`, its entrypoint prints the package version and exits 0', () => {
    const r = run(['version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`hcp-dr ${version}`);
  });

  it('when its config is read, the user is 65532:65532, the entrypoint the binary the CronJobs run, in one layer', () => {
    const r = podmanSync(['image', 'inspect', '--format', '{{json .Config}}|{{len .RootFS.Layers}}', IMAGE_TAG]);
    expect(r.code, r.stderr).toBe(0);
    const [config = '{}', layers] = r.stdout.trim().split('|');
    const c = JSON.parse(config) as { User?: string; Entrypoint?: string[] };
    expect(c.User).toBe('65532:65532');
    expect(c.Entrypoint).toEqual([IMAGE_BINARY]);
    expect(layers).toBe('1');
  });

  it('when it writes a file (schedule --out into a mounted directory), the file belongs to uid and gid 65532', () => {
    const out = path.join(tmp, 'out');
    rmSync(out, { recursive: true, force: true });
    const mount = mkdtempSync(path.join(tmp, 'mnt-'));
    chmodSync(mount, 0o1777);
    const args = ['schedule', 'demo', '-n', 'clusters', '--to', 's3://b/p', '--every', '0 * * * *'];
    args.push('--image', IMAGE_TAG, '--s3-secret', 's3', '--out', '/out/tree');
    const r = run(args, ['--volume', `${mount}:/out`]);
    expect(r.code, r.stderr).toBe(0);
    const st = statSync(path.join(mount, 'tree', 'kustomization.yaml'));
    expect([st.uid, st.gid]).toEqual([65532, 65532]);
  });

  it('when a shell is asked for, there is none: /bin/sh and /usr/bin/sh do not exist in the image', () => {
    for (const sh of ['/bin/sh', '/usr/bin/sh']) {
      const r = podmanSync(['run', '--rm', '--network', 'none', '--entrypoint', sh, IMAGE_TAG, '-c', 'true']);
      expect(r.code, `${sh}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).toMatch(/no such file or directory|not found/i);
    }
  });

  describe('its file system (podman image mount)', () => {
    let fs = '';
    afterAll(() => {
      if (fs) podmanSync(['image', 'unmount', IMAGE_TAG]);
    });
    const file = (p: string) => path.join(fs, p);

    it('when mounted, it holds a CA bundle of Mozilla certificates, each parsing as X.509', () => {
      const m = podmanSync(['image', 'mount', IMAGE_TAG]);
      expect(m.code, m.stderr).toBe(0);
      fs = m.stdout.trim();
      const pems =
        readFileSync(file('etc/ssl/certs/ca-certificates.crt'), 'utf8').match(
          /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g,
        ) ?? [];
      expect(pems.length).toBeGreaterThan(100);
      for (const pem of pems) expect(() => new X509Certificate(pem)).not.toThrow();
    });

    it('when mounted, it holds tzdata (TZif files, /etc/localtime UTC) and passwd/group with nonroot 65532, home owned by it', () => {
      expect(readFileSync(file('usr/share/zoneinfo/Europe/Berlin')).subarray(0, 4).toString()).toBe('TZif');
      expect(readFileSync(file('usr/share/zoneinfo/America/New_York')).subarray(0, 4).toString()).toBe('TZif');
      expect(readFileSync(file('etc/timezone'), 'utf8').trim()).toBe('Etc/UTC');
      expect(readFileSync(file('etc/passwd'), 'utf8')).toMatch(/^nonroot:x:65532:65532:[^:]*:\/home\/nonroot:/m);
      expect(readFileSync(file('etc/group'), 'utf8')).toMatch(/^nonroot:x:65532:/m);
      const home = statSync(file('home/nonroot'));
      expect([home.uid, home.gid]).toEqual([65532, 65532]);
      expect(statSync(file('tmp')).mode & 0o1777).toBe(0o1777);
      expect(existsSync(file('bin/sh')) || existsSync(file('usr/bin/sh'))).toBe(false);
    });
  });

  const inputs = ['dist/image/rootfs-amd64/etc/passwd', 'dist/sea/linux_amd64/kubectl-hcp_dr'].every((p) => existsSync(path.join(root, p)));
  it.skipIf(!inputs || process.arch !== 'x64')(
    'when built twice from the same inputs without cache, both builds have the same digest',
    { timeout: 600_000 },
    () => {
      const epoch = '1700000000';
      const a = buildImage(`${IMAGE_TAG}-repro-a`, 'amd64', epoch, true);
      const b = buildImage(`${IMAGE_TAG}-repro-b`, 'amd64', epoch, true);
      podmanSync(['rmi', `${IMAGE_TAG}-repro-a`, `${IMAGE_TAG}-repro-b`]);
      expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(b).toBe(a);
    },
  );
});
