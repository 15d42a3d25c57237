import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { validateKrewManifest } from '../../../plugin/krew-validate.ts';
import { PLACEHOLDER_SHA256, renderManifest } from '../../../plugin/krew-manifest.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const template = readFileSync(`${root}/templates/krew-manifest.yaml.tmpl`, 'utf8');
const sha = (c: string) => c.repeat(64);
const all = { linux_amd64: sha('a'), linux_arm64: sha('b'), darwin_amd64: sha('c'), darwin_arm64: sha('d'), windows_amd64: sha('e') };
type Doc = { spec: Record<string, unknown> & { platforms: Record<string, unknown>[] } };
const mutate = (text: string, fn: (d: Doc) => void) => {
  const d = yaml.load(text) as Doc;
  fn(d);
  return yaml.dump(d);
};

describe('krew manifest', () => {
  const full = renderManifest(template, { version: '1.2.3', repo: 'acme/kubectl-hcp-dr', sha256: all, missing: 'error' });

  it('renders every platform with its URI and digest, and is valid', () => {
    expect(validateKrewManifest(full)).toEqual([]);
    const d = yaml.load(full) as Doc;
    expect(d.spec['version']).toBe('v1.2.3');
    expect(d.spec['homepage']).toBe('https://github.com/acme/kubectl-hcp-dr');
    expect(d.spec.platforms).toHaveLength(5);
    const win = d.spec.platforms.find((p) => String(p['uri']).endsWith('windows_amd64.zip'));
    expect(win?.['uri']).toBe('https://github.com/acme/kubectl-hcp-dr/releases/download/v1.2.3/hcp-dr_1.2.3_windows_amd64.zip');
    expect(win?.['sha256']).toBe(sha('e'));
    expect(win?.['bin']).toBe('kubectl-hcp_dr.exe');
  });

  it('refuses a release with a platform missing; drops it for a local build; placeholders for the example', () => {
    const some = { linux_amd64: sha('a') };
    expect(() => renderManifest(template, { version: '1.2.3', sha256: some, missing: 'error' })).toThrow(/no archive for linux_arm64/);
    const local = renderManifest(template, { version: '1.2.3', sha256: some, missing: 'drop' });
    expect(validateKrewManifest(local)).toEqual([]);
    expect((yaml.load(local) as Doc).spec.platforms).toHaveLength(1);
    const example = renderManifest(template, { version: '1.2.3', sha256: {}, missing: 'placeholder' });
    expect(example.match(new RegExp(PLACEHOLDER_SHA256, 'g'))).toHaveLength(5);
    expect(validateKrewManifest(example)).toEqual([]);
  });

  it('the checked-in krew-manifest.yaml is valid', () => {
    expect(validateKrewManifest(readFileSync(`${root}/krew-manifest.yaml`, 'utf8'))).toEqual([]);
  });

  it.each([
    ['apiVersion', (d: Doc) => Object.assign(d, { apiVersion: 'krew.googlecontainertools.github.com/v1alpha1' }), /apiVersion/],
    ['kind', (d: Doc) => Object.assign(d, { kind: 'Plug' }), /kind must be Plugin/],
    ['name', (d: Doc) => Object.assign(d, { metadata: { name: 'hcp_dr' } }), /metadata.name/],
    ['version without v', (d: Doc) => (d.spec['version'] = '1.2.3'), /semver with a "v"/],
    ['long short description', (d: Doc) => (d.spec['shortDescription'] = 'x'.repeat(51)), /at most 50/],
    ['no description', (d: Doc) => delete d.spec['description'], /description is required/],
    ['caveats without S3', (d: Doc) => (d.spec['caveats'] = 'needs a kubeconfig for the cluster'), /S3 credentials/],
    ['caveats without cluster', (d: Doc) => (d.spec['caveats'] = 'needs S3 credentials'), /cluster access/],
    ['bad sha256', (d: Doc) => (d.spec.platforms[0]!['sha256'] = 'ABC'), /sha256 must be 64/],
    ['duplicate selector', (d: Doc) => d.spec.platforms.push(d.spec.platforms[0]!), /duplicate selector linux\/amd64/],
    ['bin not installed', (d: Doc) => (d.spec.platforms[0]!['bin'] = 'kubectl-other'), /bin kubectl-other is not among/],
    [
      'oc name missing',
      (d: Doc) =>
        (d.spec.platforms[0]!['files'] = [
          { from: 'kubectl-hcp_dr', to: '.' },
          { from: 'LICENSE', to: '.' },
        ]),
      /must install oc-hcp_dr/,
    ],
    ['windows bin', (d: Doc) => (d.spec.platforms[4]!['bin'] = 'kubectl-hcp_dr'), /must end in \.exe/],
    ['escaping file', (d: Doc) => (d.spec.platforms[0]!['files'] = [{ from: '../x', to: '.' }]), /inside the plugin directory/],
    ['no selector', (d: Doc) => delete d.spec.platforms[1]!['selector'], /matchLabels.os/],
    ['http uri', (d: Doc) => (d.spec.platforms[0]!['uri'] = 'http://x/a.tar.gz'), /https URL/],
  ])('rejects: %s', (_name, fn, problem) => {
    const problems = validateKrewManifest(mutate(full, fn));
    expect(problems.join('\n')).toMatch(problem);
  });
});
