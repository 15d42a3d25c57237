/** Regenerates src/core/export/templates.ts from templates/*.yaml (the source of truth). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../../..');
const app = readFileSync(join(root, 'templates/argocd-application.yaml'), 'utf8');
const header = `/**
 * Templates embedded as text so the single binary needs no files beside it. GENERATED from
 * templates/*.yaml, which stay the source of truth; test/unit/export/templates.test.ts fails
 * when the two disagree. Regenerate: node test/unit/export/gen-templates.ts
 */
`;
writeFileSync(
  join(root, 'src/core/export/templates.ts'),
  `${header}\nexport const ARGOCD_APPLICATION_TEMPLATE: string = ${JSON.stringify(app)};\n`,
);
