/**
 * `npm run package`: the release build. One minified CommonJS bundle of src/main.ts with every
 * dependency inside, made into a Node single-executable application per target, archived for
 * krew with a sha256sums.txt and a krew manifest, in dist/release/.
 *
 *   node plugin/package.ts [--target linux/amd64,windows/amd64|host|all] [--node-binary PATH]
 *                          [--repo owner/name] [--base-url URL] [--no-strip]
 *   node plugin/package.ts manifest [--require-all] [--example]   # from the archives present
 *
 * The host target is built from the Node running this script (the pinned `node` package; on CI,
 * actions/setup-node with the same version), with a code cache. Cross targets take
 * `--node-binary`, or the npm package node-<os>-<arch>@<pinned version> fetched into a cache
 * (linux/arm64 and windows/amd64 exist on npm; darwin needs a macOS runner, see plugin/sea.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readEntry, sha256File, writeArchive } from './archive.ts';
import { archiveName, renderManifest } from './krew-manifest.ts';
import { COMPLETION_SCRIPTS, validateKrewManifest } from './krew-validate.ts';
import { ALL_TARGETS, exeSuffix, fetchNodeBinary, hostTarget, parseTarget, sameTarget, targetId, type Target } from './node-dist.ts';
import { bundleForSea } from './sea-bundle.ts';
import { LAZY_ASSETS } from './sea-loader.ts';
import { buildSea, smokeTest } from './sea.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const version = pkg.version;
const releaseDir = join(root, 'dist', 'release');
const log = (line: string) => process.stderr.write(`package: ${line}\n`);

function parseTargets(values: string[]): Target[] {
  const out: Target[] = [];
  for (const v of values.flatMap((x) => x.split(','))) {
    const add = v === 'all' ? ALL_TARGETS : [v === 'host' ? hostTarget() : parseTarget(v)];
    for (const t of add) if (!out.some((o) => sameTarget(o, t))) out.push(t);
  }
  return out;
}

function checkPinnedNode(): void {
  const pinned = pkg.devDependencies['node'];
  if (pinned && process.version !== `v${pinned}`) {
    throw new Error(
      `the SEA blob must come from the pinned Node ${pinned}, but this is ${process.version}: ` +
        'run through npm (node_modules/.bin first on PATH) or install that Node version',
    );
  }
}

async function buildTarget(
  t: Target,
  bundle: string,
  lazyBundles: Record<string, string>,
  nodeBinary: string | undefined,
  strip: boolean,
): Promise<string> {
  const host = sameTarget(t, hostTarget());
  const binary = nodeBinary ?? (host ? process.execPath : fetchNodeBinary(t, process.version.slice(1), log));
  const workdir = join(root, 'dist', 'sea', targetId(t));
  mkdirSync(workdir, { recursive: true });
  const started = Date.now();
  const exe = buildSea({ target: t, nodeBinary: binary, bundle, lazyBundles, workdir, codeCache: host, strip, log });
  if (host) smokeTest(exe, version);
  const name = archiveName(version, t);
  const x = exeSuffix(t);
  writeArchive(join(releaseDir, name), [
    readEntry(`kubectl-hcp_dr${x}`, exe, 0o755),
    readEntry(`oc-hcp_dr${x}`, exe, 0o755),
    readEntry('LICENSE', join(root, 'LICENSE'), 0o644),
    // Shell completion (kubectl 1.26+ runs kubectl_complete-<plugin> from PATH): POSIX sh, so not on Windows.
    ...(t.os === 'windows' ? [] : COMPLETION_SCRIPTS.map((name) => readEntry(name, join(root, 'plugin', name), 0o755))),
  ]);
  log(`${t.os}/${t.arch}: ${name} (${host ? 'code cache' : 'no code cache: cross build'}, ${Date.now() - started} ms)`);
  return name;
}

/** sha256sums.txt and krew-manifest.yaml for the archives of this version in dist/release. */
async function writeSumsAndManifest(opts: { repo?: string; baseUrl?: string; requireAll: boolean }): Promise<string> {
  const sums: Record<string, string> = {};
  const lines: string[] = [];
  for (const t of ALL_TARGETS) {
    const file = join(releaseDir, archiveName(version, t));
    if (!existsSync(file)) continue;
    sums[targetId(t)] = await sha256File(file);
    lines.push(`${sums[targetId(t)]}  ${archiveName(version, t)}`);
  }
  if (lines.length === 0) throw new Error(`no archives of ${version} in ${releaseDir}`);
  writeFileSync(join(releaseDir, 'sha256sums.txt'), lines.join('\n') + '\n');
  const template = readFileSync(join(root, 'templates', 'krew-manifest.yaml.tmpl'), 'utf8');
  const manifest = renderManifest(template, {
    version,
    repo: opts.repo,
    baseUrl: opts.baseUrl,
    sha256: sums,
    missing: opts.requireAll ? 'error' : 'drop',
  });
  const problems = validateKrewManifest(manifest);
  if (problems.length > 0) throw new Error(`generated krew manifest is invalid:\n  ${problems.join('\n  ')}`);
  const out = join(releaseDir, 'krew-manifest.yaml');
  writeFileSync(out, manifest);
  return out;
}

/** The checked-in example: every platform, placeholder digests. */
function writeExampleManifest(repo: string | undefined): void {
  const template = readFileSync(join(root, 'templates', 'krew-manifest.yaml.tmpl'), 'utf8');
  const text = renderManifest(template, { version, repo, sha256: {}, missing: 'placeholder' }).replace(
    /^(# krew plugin manifest[^\n]*\n(#[^\n]*\n)*)/,
    (head) =>
      `${head}# This checked-in copy is an example with placeholder digests; each release publishes\n# the real one (dist/release/krew-manifest.yaml, regenerate this with \`npm run package -- manifest --example\`).\n`,
  );
  const problems = validateKrewManifest(text);
  if (problems.length > 0) throw new Error(`example krew manifest is invalid:\n  ${problems.join('\n  ')}`);
  writeFileSync(join(root, 'krew-manifest.yaml'), text);
  log('wrote krew-manifest.yaml (example)');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      target: { type: 'string', multiple: true },
      'node-binary': { type: 'string' },
      repo: { type: 'string' },
      'base-url': { type: 'string' },
      'no-strip': { type: 'boolean', default: false },
      'require-all': { type: 'boolean', default: false },
      example: { type: 'boolean', default: false },
    },
  });
  const repo = values.repo ?? process.env['HCP_DR_REPO'];
  mkdirSync(releaseDir, { recursive: true });
  if (positionals[0] === 'manifest') {
    if (values.example) return writeExampleManifest(repo);
    log(`wrote ${await writeSumsAndManifest({ repo, baseUrl: values['base-url'], requireAll: values['require-all'] })}`);
    return;
  }
  if (positionals.length > 0) throw new Error(`unknown command ${positionals[0]}; see the header of plugin/package.ts`);
  checkPinnedNode();
  const targets = parseTargets(values.target ?? ['host']);
  if (values['node-binary'] && targets.length !== 1) throw new Error('--node-binary goes with exactly one --target');
  if (process.platform !== 'darwin' && targets.some((t) => t.os === 'darwin')) {
    throw new Error('darwin targets are built on macOS: codesign must re-sign the binary (and npm has no Node 24 for macOS)');
  }

  // Archives of earlier builds would end up in the sums and the manifest: start clean.
  for (const f of readdirSync(releaseDir)) if (f.startsWith('hcp-dr_')) rmSync(join(releaseDir, f));
  const started = Date.now();
  const bundle = await bundleForSea({
    entry: join(root, 'src', 'main.ts'),
    outfile: join(root, 'dist', 'sea', 'hcp-dr.cjs'),
    version,
    lazy: LAZY_ASSETS,
  });
  log(
    `bundle: ${(bundle.bytes / 1e6).toFixed(2)} MB from ${bundle.inputs} files; stubbed optional modules: ${bundle.stubbed.join(', ') || 'none'} (${Date.now() - started} ms)`,
  );
  for (const t of targets) await buildTarget(t, bundle.outfile, bundle.lazyBundles, values['node-binary'], !values['no-strip']);
  const manifest = await writeSumsAndManifest({ repo, baseUrl: values['base-url'], requireAll: values['require-all'] });
  log(`wrote ${join(releaseDir, 'sha256sums.txt')} and ${manifest} (${Date.now() - started} ms in all)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`package: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
