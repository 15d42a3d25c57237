/**
 * Checks a krew plugin manifest against krew's rules (internal/index/validation in
 * kubernetes-sigs/krew) and the krew-index review guidance, plus hcp-dr's own: the name,
 * the caveats naming what the plugin needs, and both plugin names installed on every platform.
 * Usage: node plugin/krew-validate.ts [krew-manifest.yaml ...]; exit 1 with the problems.
 */
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const SEMVER_V = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const SHA256 = /^[0-9a-f]{64}$/;
const KNOWN_OS = new Set(['linux', 'darwin', 'windows']);
const KNOWN_ARCH = new Set(['amd64', 'arm64', '386', 'arm', 'ppc64le', 's390x']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** The file names a `files` list installs at the top of the plugin directory (glob-free entries). */
function installedNames(files: Obj[]): string[] {
  return files.map((f) => {
    const from = String(f['from']);
    const to = typeof f['to'] === 'string' ? f['to'] : '.';
    return to === '.' || to === './' ? posix.basename(from) : posix.normalize(to);
  });
}

function validatePlatform(p: unknown, where: string, problems: string[], seen: Set<string>): void {
  if (!isObj(p)) return void problems.push(`${where}: not a mapping`);
  const labels = isObj(p['selector']) && isObj(p['selector']['matchLabels']) ? p['selector']['matchLabels'] : undefined;
  const os = str(labels?.['os']);
  const arch = str(labels?.['arch']);
  if (!os || !KNOWN_OS.has(os)) problems.push(`${where}: selector.matchLabels.os must be one of ${[...KNOWN_OS].join(', ')}`);
  if (!arch || !KNOWN_ARCH.has(arch)) problems.push(`${where}: selector.matchLabels.arch must be a GOARCH (amd64, arm64, ...)`);
  const key = `${os}/${arch}`;
  if (seen.has(key)) problems.push(`${where}: duplicate selector ${key}`);
  seen.add(key);
  const uri = str(p['uri']);
  if (!uri || !/^https:\/\/\S+$/.test(uri)) problems.push(`${where}: uri must be an https URL`);
  else if (!/\.(tar\.gz|tgz|zip)$/.test(uri)) problems.push(`${where}: uri must name a .tar.gz or .zip archive`);
  else if (os === 'windows' && !uri.endsWith('.zip')) problems.push(`${where}: windows archives are .zip`);
  const sha = p['sha256'];
  if (typeof sha !== 'string' || !SHA256.test(sha)) problems.push(`${where}: sha256 must be 64 lowercase hex digits`);
  const bin = str(p['bin']);
  if (!bin) problems.push(`${where}: bin is required`);
  else if (os === 'windows' && !bin.endsWith('.exe')) problems.push(`${where}: bin on windows must end in .exe`);
  else if (os && os !== 'windows' && bin.endsWith('.exe')) problems.push(`${where}: bin ends in .exe on ${os}`);
  const files = p['files'];
  if (!Array.isArray(files) || files.length === 0) return void problems.push(`${where}: files must list what to install`);
  const entries: Obj[] = [];
  files.forEach((f, j) => {
    const from = isObj(f) ? str(f['from']) : undefined;
    const to = isObj(f) ? str(f['to']) : undefined;
    if (!isObj(f) || !from || !to) return void problems.push(`${where}.files[${j}]: from and to are required`);
    if ([from, to].some((x) => x.includes('..') || x.startsWith('/') || x.startsWith('\\'))) {
      problems.push(`${where}.files[${j}]: paths must stay inside the plugin directory`);
    }
    if (/[*?[]/.test(from)) problems.push(`${where}.files[${j}]: hcp-dr lists its files explicitly (no globs)`);
    entries.push(f);
  });
  const names = installedNames(entries);
  if (bin && !names.includes(posix.normalize(bin)))
    problems.push(`${where}: bin ${bin} is not among the installed files (${names.join(', ')})`);
  const exe = os === 'windows' ? '.exe' : '';
  const completion = os === 'windows' ? [] : COMPLETION_SCRIPTS;
  for (const need of [`kubectl-hcp_dr${exe}`, `oc-hcp_dr${exe}`, 'LICENSE', ...completion]) {
    if (!names.includes(need)) problems.push(`${where}: files must install ${need}`);
  }
}

/** Shell-completion executables (plugin/), shipped beside the binary on every platform but Windows. */
export const COMPLETION_SCRIPTS = ['kubectl_complete-hcp_dr', 'oc_complete-hcp_dr'];

/** The problems found; an empty list means the manifest is valid. */
export function validateKrewManifest(text: string): string[] {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (err) {
    return [`not YAML: ${(err as Error).message}`];
  }
  if (!isObj(doc)) return ['the manifest is not a mapping'];
  const problems: string[] = [];
  if (doc['apiVersion'] !== 'krew.googlecontainertools.github.com/v1alpha2') {
    problems.push('apiVersion must be krew.googlecontainertools.github.com/v1alpha2');
  }
  if (doc['kind'] !== 'Plugin') problems.push('kind must be Plugin');
  const name = isObj(doc['metadata']) ? doc['metadata']['name'] : undefined;
  if (name !== 'hcp-dr') problems.push('metadata.name must be hcp-dr');
  const spec = isObj(doc['spec']) ? doc['spec'] : {};
  const version = spec['version'];
  if (typeof version !== 'string' || !SEMVER_V.test(version)) problems.push('spec.version must be semver with a "v" prefix (v1.2.3)');
  const homepage = str(spec['homepage']);
  if (!homepage || !/^https:\/\/\S+$/.test(homepage)) problems.push('spec.homepage must be an https URL');
  const short = str(spec['shortDescription']);
  if (!short) problems.push('spec.shortDescription is required');
  else if (short.length > 50) problems.push(`spec.shortDescription is ${short.length} characters; krew-index asks for at most 50`);
  else if (short.includes('\n')) problems.push('spec.shortDescription must be one line');
  const description = str(spec['description']);
  if (!description) problems.push('spec.description is required');
  else if (short && description.trim() === short.trim()) problems.push('spec.description must say more than shortDescription');
  const caveats = str(spec['caveats']) ?? '';
  if (!/cluster/i.test(caveats) || !/kubeconfig/i.test(caveats))
    problems.push('spec.caveats must say the plugin needs cluster access (kubeconfig)');
  if (!/\bS3\b/.test(caveats) || !/credential/i.test(caveats)) problems.push('spec.caveats must say backups need S3 credentials');
  const platforms = spec['platforms'];
  if (!Array.isArray(platforms) || platforms.length === 0) problems.push('spec.platforms must list at least one platform');
  else {
    const seen = new Set<string>();
    platforms.forEach((p, i) => validatePlatform(p, `spec.platforms[${i}]`, problems, seen));
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : ['krew-manifest.yaml'];
  let failed = false;
  for (const file of files) {
    const problems = validateKrewManifest(readFileSync(file, 'utf8'));
    for (const p of problems) process.stderr.write(`${file}: ${p}\n`);
    if (problems.length === 0) process.stdout.write(`${file}: valid krew manifest\n`);
    failed ||= problems.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}
