/** templates/*.yaml are the source of truth; the embedded TS strings must match them byte for byte. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { ARGOCD_APPLICATION_TEMPLATE } from '../../../src/core/export/templates.ts';
import { renderApplication } from '../../../src/core/export/argocd.ts';

const TEMPLATES = join(import.meta.dirname, '../../../templates');

describe('embedded templates', () => {
  it('argocd-application.yaml agrees with src/core/export/templates.ts (regenerate: node test/unit/export/gen-templates.ts)', () => {
    expect(ARGOCD_APPLICATION_TEMPLATE).toBe(readFileSync(join(TEMPLATES, 'argocd-application.yaml'), 'utf8'));
  });
  it('renders a valid Application with quoted values', () => {
    const app = yaml.load(
      renderApplication({ appName: 'clusters-demo', repoURL: 'https://git.example.com/a b.git', path: 'clusters/demo' }),
    ) as Record<string, any>;
    expect(app['kind']).toBe('Application');
    expect(app['metadata'].name).toBe('clusters-demo');
    expect(app['spec'].source).toEqual({ repoURL: 'https://git.example.com/a b.git', targetRevision: 'HEAD', path: 'clusters/demo' });
    expect(renderApplication({ appName: 'x', repoURL: 'y: "z"\n', path: 'p' })).toContain('repoURL: "y: \\"z\\"\\n"');
  });
});
