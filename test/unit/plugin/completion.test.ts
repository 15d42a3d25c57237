/** The release archive and the krew manifest carry the shell-completion scripts (plugin/*_complete-hcp_dr). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { renderManifest } from '../../../plugin/krew-manifest.ts';
import { validateKrewManifest } from '../../../plugin/krew-validate.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('the release ships the completion scripts', () => {
  const template = readFileSync(join(root, 'templates/krew-manifest.yaml.tmpl'), 'utf8');
  type Doc = { spec: { platforms: { files: { from: string }[]; selector: { matchLabels: { os: string } } }[] } };

  it('the krew manifest installs them on every platform but Windows, and a manifest without them is invalid', () => {
    const text = renderManifest(template, { version: '1.2.3', sha256: {}, missing: 'placeholder' });
    expect(validateKrewManifest(text)).toEqual([]);
    const doc = yaml.load(text) as Doc;
    for (const p of doc.spec.platforms) {
      const files = p.files.map((f) => f.from);
      if (p.selector.matchLabels.os === 'windows') expect(files).not.toContain('kubectl_complete-hcp_dr');
      else expect(files).toEqual(expect.arrayContaining(['kubectl_complete-hcp_dr', 'oc_complete-hcp_dr']));
    }
    const linux = doc.spec.platforms[0];
    if (linux) linux.files = linux.files.filter((f) => !f.from.includes('_complete-'));
    expect(validateKrewManifest(yaml.dump(doc)).join('\n')).toMatch(/files must install kubectl_complete-hcp_dr/);
  });
});
