/**
 * Documents with metadata and neither apiVersion nor kind, as some platforms' `hypershift create
 * cluster --render` output holds: render keeps them where they are, unchanged, and names them in
 * a warning; validate reports them as not validated. Anything else without apiVersion/kind is
 * still refused.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.ts';
import { formatManifests, parseManifests } from '../../../src/core/objects/documents.ts';
import { renderRestore } from '../../../src/core/render/render.ts';
import { runValidate } from '../../../src/core/render/validate-run.ts';
import { FIXED_KEY_BASE64, FIXED_URL, OWN_FIXTURES } from './helpers.ts';

const input = readFileSync(path.join(OWN_FIXTURES, 'aws-from-backup', 'input.yaml'), 'utf8');
const headless =
  'metadata:\n  name: demo-extra\n  namespace: clusters\n  labels:\n    origin: platform-render\ndata:\n  note: kept as is\n';
/** The headless document inserted as the 3rd document of the input. */
const withHeadless = (() => {
  const docs = input.split(/^---\n/m).filter((d) => d.trim() !== '');
  docs.splice(2, 0, headless);
  return docs.join('---\n');
})();

describe('documents without apiVersion and kind', () => {
  it('render keeps one in place and unchanged, with a warning naming it', () => {
    const result = renderRestore(withHeadless, 'rendered.yaml', {
      snapshotUrl: FIXED_URL,
      key: { type: 'material', keyBase64: FIXED_KEY_BASE64, origin: 'test' },
      includeSecrets: true,
    });
    const index = result.objects.findIndex((o) => o.metadata.name === 'demo-extra');
    const before = parseManifests(withHeadless, 'rendered.yaml');
    // Same neighbours as in the input: nothing moved around it.
    expect(result.objects[index - 1]?.metadata.name).toBe(before[1]?.metadata.name);
    expect(result.objects[index]).toEqual(yaml.load(headless));
    expect(result.warnings).toContain('document 3 (no apiVersion or kind) clusters/demo-extra: kept in place unchanged');
    const text = formatManifests(result.objects, 'yaml');
    expect(text).toContain(
      '---\ndata:\n  note: kept as is\nmetadata:\n  labels:\n    origin: platform-render\n  name: demo-extra\n  namespace: clusters\n---\n',
    );
  });

  it('validate reports it as not validated and checks the rest', async () => {
    const report = await runValidate({
      input: { text: withHeadless, source: 'rendered.yaml' },
      crds: async () => ({ crds: [], source: 'none' }),
    });
    expect(report.withoutKind).toEqual(['document 3 (no apiVersion or kind) clusters/demo-extra']);
    expect(report.objects.find((o) => o.object.startsWith('document 3'))?.checked).toBe(false);
  });

  it('a document with apiVersion but no kind, or with neither and no metadata, is still refused', () => {
    expect(() => parseManifests('apiVersion: v1\nmetadata:\n  name: x\n', 'in.yaml')).toThrow(UsageError);
    expect(() => parseManifests('spec:\n  a: 1\n', 'in.yaml')).toThrow(/document 1 has no apiVersion or kind/);
    expect(() => parseManifests('metadata: x\n', 'in.yaml')).toThrow(/document 1 has no apiVersion or kind/);
  });
});
