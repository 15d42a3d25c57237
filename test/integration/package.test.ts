/**
 * The release build end to end: `npm run package` for linux/amd64, the archive unpacked into a
 * temporary directory first on PATH, and the binary run through the real kubectl (krew's way of
 * finding plugins), with nothing else of Node on PATH. Also: the manifest's digests match the
 * archives, and the binary prints nothing on stderr for --help and version.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateKrewManifest } from '../../plugin/krew-validate.ts';
import { NODE_FLAGS } from '../../plugin/sea-loader.ts';
import { REPO_ROOT as root, SANDBOX_TOKEN, startSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import { imageRootfs, IMAGE_BASE_LIBRARIES } from '../support/image-rootfs.ts';
import { KUBECTL as FOUND_KUBECTL, runAsync } from '../support/spawn.ts';
import { startTlsFront, type TlsFront } from '../sandbox/net/tls-front.ts';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';

const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const release = path.join(root, 'dist', 'release');
const archive = path.join(release, `hcp-dr_${version}_linux_amd64.tar.gz`);
const onLinuxAmd64 = process.platform === 'linux' && process.arch === 'x64';
const haveKubectl = FOUND_KUBECTL !== undefined;
const KUBECTL = FOUND_KUBECTL ?? 'kubectl';
if (!haveKubectl) console.warn('package.test: no kubectl on this machine: the kubectl plugin checks are skipped');
const canChroot = process.getuid?.() === 0 && existsSync('/usr/sbin/chroot');
if (!canChroot) console.warn("package.test: not root, or no /usr/sbin/chroot: the image's root file system check is skipped");

let tmp = '';
let bin = '';
let env: NodeJS.ProcessEnv = {};

function run(cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', env: { ...env, ...extraEnv }, timeout: 60_000 });
}

describe.skipIf(!onLinuxAmd64)('release package (linux/amd64)', () => {
  beforeAll(() => {
    const build = spawnSync(path.join(root, 'node_modules', 'node', 'bin', 'node'), [path.join(root, 'plugin', 'package.ts')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 280_000,
    });
    if (build.status !== 0) throw new Error(`npm run package failed (${build.status}):\n${build.stderr}`);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-package-'));
    bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    mkdirSync(path.join(tmp, 'home'));
    const untar = spawnSync('tar', ['-xzf', archive, '-C', bin], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
    // Only the unpacked plugin and the system's tools: no Node, no node_modules.
    env = { PATH: `${bin}:/usr/bin:/bin`, HOME: path.join(tmp, 'home'), LANG: 'C.UTF-8' };
  }, 300_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the archive holds kubectl-hcp_dr, oc-hcp_dr (regular files, krew rejects links), LICENSE and the completion scripts', () => {
    const list = spawnSync('tar', ['-tvzf', archive], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(list.map((l) => l.split(/\s+/).pop()).sort()).toEqual([
      'LICENSE',
      'kubectl-hcp_dr',
      'kubectl_complete-hcp_dr',
      'oc-hcp_dr',
      'oc_complete-hcp_dr',
    ]);
    expect(list.every((l) => l.startsWith('-'))).toBe(true);
    expect(list.filter((l) => l.startsWith('-rwxr-xr-x'))).toHaveLength(4);
    expect(statSync(path.join(bin, 'kubectl-hcp_dr')).size).toBeGreaterThan(50e6);
  });

  it("the manifest and sha256sums.txt carry the archives' SHA-256, and the manifests are valid", () => {
    const text = readFileSync(path.join(release, 'krew-manifest.yaml'), 'utf8');
    expect(validateKrewManifest(text)).toEqual([]);
    expect(validateKrewManifest(readFileSync(path.join(root, 'krew-manifest.yaml'), 'utf8'))).toEqual([]);
    const doc = yaml.load(text) as {
      spec: { version: string; platforms: { uri: string; sha256: string; selector: { matchLabels: Record<string, string> } }[] };
    };
    expect(doc.spec.version).toBe(`v${version}`);
    const sums = new Map(
      readFileSync(path.join(release, 'sha256sums.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.split(/\s+/)[1], l.split(/\s+/)[0]] as const),
    );
    expect(doc.spec.platforms.some((p) => p.selector.matchLabels['os'] === 'linux' && p.selector.matchLabels['arch'] === 'amd64')).toBe(
      true,
    );
    for (const p of doc.spec.platforms) {
      const file = path.join(release, path.basename(p.uri));
      const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
      expect(p.sha256, path.basename(p.uri)).toBe(actual);
      expect(sums.get(path.basename(p.uri))).toBe(actual);
    }
  });

  it.skipIf(!haveKubectl)("completes through kubectl's __complete with the archive's kubectl_complete-hcp_dr", () => {
    const r = run(KUBECTL, ['__complete', 'hcp-dr', 'backup', '--']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe(':4');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['--to', '--all', '--online', '--context']));
    const top = run(KUBECTL, ['__complete', 'hcp-dr', ''])
      .stdout.split('\n')
      .map((l) => l.split('\t')[0]);
    expect(top).toEqual(expect.arrayContaining(['etcd', 'backup', 'restore', 'move', 'version']));
  });

  it('runs standalone: --help and version print nothing on stderr; oc-hcp_dr says "oc hcp-dr"', () => {
    const help = run(path.join(bin, 'kubectl-hcp_dr'), ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: kubectl hcp-dr <command>');
    expect(help.stderr).toBe('');
    const ver = run(path.join(bin, 'kubectl-hcp_dr'), ['version']);
    expect(ver.status).toBe(0);
    expect(ver.stdout).toContain(`hcp-dr ${version}`);
    expect(ver.stderr).toBe('');
    const oc = run(path.join(bin, 'oc-hcp_dr'), ['--help']);
    expect(oc.status).toBe(0);
    expect(oc.stdout).toContain('Usage: oc hcp-dr <command>');
    expect(oc.stderr).toBe('');
    // The trained code cache is accepted and NODE_FLAGS are in effect (see plugin/sea-loader.ts).
    expect(run(path.join(bin, 'kubectl-hcp_dr'), ['version'], { HCP_DR_LOADER_DEBUG: '1' }).stderr).toBe(
      `hcp-dr loader: code cache accepted\nhcp-dr loader: node flags ${NODE_FLAGS.join(' ')}\n`,
    );
  });

  describe.skipIf(!haveKubectl)('through the real kubectl', () => {
    it('kubectl hcp-dr version and --help', () => {
      const ver = run(KUBECTL, ['hcp-dr', 'version']);
      expect(ver.stderr).toBe('');
      expect(ver.status).toBe(0);
      expect(ver.stdout).toContain(`hcp-dr ${version}`);
      const help = run(KUBECTL, ['hcp-dr', '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain('kubectl hcp-dr');
    });

    it('kubectl hcp-dr etcd status against a closed port exits 1: cannot reach the API server', () => {
      const kubeconfig = path.join(tmp, 'closed.kubeconfig');
      writeFileSync(
        kubeconfig,
        'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
          'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: clusters}}]\ncurrent-context: x\n',
      );
      const r = run(KUBECTL, ['hcp-dr', 'etcd', 'status', 'demo', '-n', 'clusters'], { KUBECONFIG: kubeconfig });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('cannot reach the API server');
    });

    describe('on the sandbox', () => {
      let sb: Sandbox;
      let front: TlsFront;
      beforeAll(async () => {
        sb = await startSandbox();
        front = await startTlsFront(sb.s3.endpoint);
      }, 120_000);
      afterAll(async () => {
        await front?.close();
        await sb?.stop();
      });

      it(
        'kubectl hcp-dr move (its lazy bundle, both contexts, the bucket) refuses the same cluster as destination in preflight',
        { timeout: 90_000 },
        async () => {
          const creds = { AWS_ACCESS_KEY_ID: sb.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey, AWS_REGION: sb.s3.region };
          const r = await runAsync(
            KUBECTL,
            [
              'hcp-dr',
              'move',
              'demo',
              '-n',
              'clusters',
              '--to-context',
              'sandbox',
              '--via',
              `s3://${sb.s3.bucket}/moves`,
              '--endpoint',
              sb.s3.endpoint,
              '--path-style',
              '--dns-server',
              '127.0.0.1:53',
              '--yes',
            ],
            { ...env, ...creds, KUBECONFIG: sb.kubeconfig },
          );
          expect(r.code, r.stderr).toBe(3);
          expect(r.stderr).toMatch(/^error: failed to move "clusters\/demo": the source and destination are the same management cluster/m);
        },
      );

      // Containerfile's image, without a container runtime: the binary in a root file system holding
      // only what its base (distroless cc) holds, run by chroot as user 65532 with no shell, in-cluster.
      it.skipIf(!canChroot)(
        "as the image runs it: in a root file system of the base's libraries, user 65532, a pod's service account",
        { timeout: 90_000 },
        async () => {
          const rootfs = await imageRootfs(path.join(tmp, 'rootfs'), path.join(bin, 'kubectl-hcp_dr'), {
            token: SANDBOX_TOKEN,
            caCert: sb.sim.caCert,
            namespace: 'clusters',
          });
          expect(
            rootfs.libraries.every((l) => IMAGE_BASE_LIBRARIES.includes(l)),
            rootfs.libraries.join(', '),
          ).toBe(true);
          const inImage = (...args: string[]) =>
            runAsync('/usr/sbin/chroot', ['--userspec=65532:65532', rootfs.dir, '/usr/local/bin/kubectl-hcp_dr', ...args], {
              PATH: '/usr/local/bin',
              HOME: '/home/nonroot',
              KUBERNETES_SERVICE_HOST: '127.0.0.1',
              KUBERNETES_SERVICE_PORT: new URL(sb.sim.httpsUrl).port,
            });
          const v = await inImage('version');
          expect(v.code, v.stderr).toBe(0);
          const status = await inImage('etcd', 'status', 'demo');
          expect(status.stderr).toBe('');
          expect(status.code).toBe(0);
          expect(status.stdout).toMatch(/^VERDICT\s+Healthy: 3 of 3 members healthy/m);
        },
      );

      it('kubectl hcp-dr etcd status demo -n clusters reports Healthy', { timeout: 90_000 }, async () => {
        // startSandbox returns once the etcd pods are ready.
        const r = await runAsync(KUBECTL, ['hcp-dr', 'etcd', 'status', 'demo', '-n', 'clusters'], { ...env, KUBECONFIG: sb.kubeconfig });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(/^VERDICT\s+Healthy: 3 of 3 members healthy/m);
      });

      it('kubectl hcp-dr etcd status -A, with --concurrency and --hashkv, reports demo Healthy', { timeout: 90_000 }, async () => {
        for (const extra of [['--concurrency', '2'], ['--hashkv']]) {
          const r = await runAsync(KUBECTL, ['hcp-dr', 'etcd', 'status', '-A', ...extra], { ...env, KUBECONFIG: sb.kubeconfig });
          expect(r.stderr).toBe('');
          expect(r.code).toBe(0);
          expect(r.stdout).toMatch(/^clusters\s+demo\s+Healthy\s+3\/3/m);
        }
      });

      it(
        'kubectl hcp-dr backup, list and verify over https with --ca-bundle (S3 SDK paths in the binary)',
        { timeout: 120_000 },
        async () => {
          const s3 = ['--endpoint', front.url, '--ca-bundle', front.caFile, '--path-style'];
          const to = `s3://${sb.s3.bucket}/sea`;
          const creds = { AWS_ACCESS_KEY_ID: sb.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey, AWS_REGION: sb.s3.region };
          const plugin = (...args: string[]) => runAsync(KUBECTL, ['hcp-dr', ...args], { ...env, ...creds, KUBECONFIG: sb.kubeconfig });
          const backup = await plugin('backup', 'demo', '-n', 'clusters', '--to', to, ...s3, '--online', '-o', 'json');
          expect(backup.stderr).not.toMatch(/^error:/m);
          expect(backup.code).toBe(0);
          const { id } = JSON.parse(backup.stdout) as { id: string };
          const list = await plugin('backup', 'list', '--from', to, ...s3);
          expect(list.code).toBe(0);
          expect(list.stdout).toContain(id);
          const verify = await plugin('backup', 'verify', `${to}/clusters/demo/${id}/`, ...s3);
          expect(verify.stderr).not.toMatch(/^error:/m);
          expect(verify.code).toBe(0);
        },
      );

      it(
        'kubectl hcp-dr backup --encrypt-to --compress zstd (age and zstd in the binary), verify --decrypt-with; render --stage-snapshot, list and prune of the staged copy',
        { timeout: 150_000 },
        async () => {
          const identity = await generateX25519Identity();
          const identityFile = path.join(tmp, 'age-identity.txt');
          writeFileSync(identityFile, `${identity}\n`, { mode: 0o600 });
          const recipient = await identityToRecipient(identity);
          const s3 = ['--endpoint', front.url, '--ca-bundle', front.caFile, '--path-style'];
          const to = `s3://${sb.s3.bucket}/sea-encoded`;
          const creds = { AWS_ACCESS_KEY_ID: sb.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: sb.s3.secretAccessKey, AWS_REGION: sb.s3.region };
          const plugin = (...args: string[]) => runAsync(KUBECTL, ['hcp-dr', ...args], { ...env, ...creds, KUBECONFIG: sb.kubeconfig });
          const backup = await plugin(
            'backup',
            'demo',
            '-n',
            'clusters',
            '--to',
            to,
            ...s3,
            '--online',
            '--encrypt-to',
            recipient,
            '--compress',
            'zstd',
            '-o',
            'json',
          );
          expect(backup.stderr).not.toMatch(/^error:/m);
          expect(backup.code).toBe(0);
          const manifest = JSON.parse(backup.stdout) as { id: string; storage?: { compression?: string; encryption?: unknown } };
          expect(manifest.storage?.compression).toBe('zstd');
          expect(manifest.storage?.encryption).toBeDefined();
          const url = `${to}/clusters/demo/${manifest.id}/`;
          const verify = await plugin('backup', 'verify', url, ...s3, '--decrypt-with', identityFile);
          expect(verify.stderr).not.toMatch(/^error:/m);
          expect(verify.code).toBe(0);

          // render stages a decoded copy with a URL of one second; list shows it, and prune deletes it once it has expired.
          const input = path.join(root, 'test/fixtures/render/aws-from-backup/input.yaml');
          const render = await plugin(
            'render',
            '-f',
            input,
            '--from-backup',
            url,
            ...s3,
            '--no-validate',
            '--decrypt-with',
            identityFile,
            '--stage-snapshot',
            '--expires',
            '1s',
          );
          expect(render.code, render.stderr).toBe(0);
          const stagedUrl = /restoreSnapshotURL:\s*\n\s*-\s*'?(\S+?)'?\s*\n/.exec(render.stdout)?.[1] ?? '';
          expect(stagedUrl).toMatch(/\/\.hcp-dr-staging\/render\/[^/]+\/snapshot\.db\?X-Amz-Algorithm=/);
          expect(render.stderr).not.toContain(/X-Amz-Signature=([0-9a-f]+)/.exec(stagedUrl)?.[1] as string);
          const listed = await plugin('backup', 'list', '--from', to, ...s3, '-o', 'json');
          const item = (JSON.parse(listed.stdout) as { items: { id: string; stagedCopies?: { url: string }[] }[] }).items.find(
            (i) => i.id === manifest.id,
          );
          expect(item?.stagedCopies?.map((c) => c.url)).toEqual([`${url}${stagedUrl.split(`/${manifest.id}/`)[1]?.split('?')[0]}`]);
          await new Promise((r) => setTimeout(r, 1500));
          const prune = await plugin('backup', 'prune', '--from', to, ...s3, '--keep-last', '1', '-o', 'json');
          expect(prune.code, prune.stderr).toBe(0);
          const pruned = JSON.parse(prune.stdout) as { staged: { action: string }[]; summary: { stagedDeleted: number } };
          expect([pruned.staged.map((c) => c.action), pruned.summary.stagedDeleted]).toEqual([['delete'], 1]);
          const after = JSON.parse((await plugin('backup', 'list', '--from', to, ...s3, '-o', 'json')).stdout) as {
            items: { stagedCopies?: unknown[] }[];
          };
          expect(after.items.map((i) => i.stagedCopies ?? [])).toEqual([[]]);
        },
      );
    });
  });
});
