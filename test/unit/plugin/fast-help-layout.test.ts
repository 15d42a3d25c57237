/**
 * The build-time fast paths for help layout (plugin/fast-help-layout.ts) must answer exactly as
 * string-width and wrap-ansi do: compared on plain ASCII (the fast path) and on text with ANSI
 * styles, links, wide characters and emoji (the fallback), at several widths.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastStringWidth, fastWrapAnsi } from '../../../plugin/fast-help-layout.ts';
import { REPO_ROOT } from '../../sandbox/sandbox.ts';

type Wrap = (text: string, columns: number, options?: { hard?: boolean; trim?: boolean; wordWrap?: boolean }) => string;
type Width = (text: string) => number;

const require = createRequire(path.join(REPO_ROOT, 'package.json'));
const real = { wrap: require('wrap-ansi') as Wrap, width: require('string-width') as Width };
let fast: { wrap: Wrap; width: Width };
const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-help-layout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const entry = path.join(dir, 'entry.cjs');
  writeFileSync(entry, 'module.exports = { wrap: require("wrap-ansi"), width: require("string-width") };\n');
  const outfile = path.join(dir, 'out.cjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    nodePaths: [path.join(REPO_ROOT, 'node_modules')],
    plugins: [fastStringWidth, fastWrapAnsi],
    logLevel: 'silent',
  });
  fast = require(outfile) as typeof fast;
});

const red = (s: string) => `\u001B[31m${s}\u001B[39m`;
const link = (s: string) => `\u001B]8;;https://example.com\u0007${s}\u001B]8;;\u0007`;
const corpus = [
  '',
  ' ',
  '   leading and trailing   ',
  'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
  'a-very-long-word-that-cannot-fit-into-a-narrow-column-at-all-and-must-be-broken',
  'two  spaces\tand a tab',
  'line one\nline two is a little longer than the first\n\nafter a blank line',
  '[string] [default: "0"]',
  `${red('error:')} failed to ${red('connect')} to the cluster`,
  `see ${link('the docs')} for more`,
  '日本語のテキストと English words mixed',
  'emoji 👍🏽 and keycap 1️⃣ in a sentence',
  'café naïve résumé',
];

describe('help layout fast paths', () => {
  it('string-width answers as the library does', () => {
    for (const s of corpus) expect(fast.width(s), JSON.stringify(s)).toBe(real.width(s));
  });

  it('wrap-ansi answers as the library does, for every width and option used by cliui and more', () => {
    const options = [{ hard: true }, {}, { trim: false }, { wordWrap: false }, { hard: true, trim: false }];
    for (const s of corpus) {
      for (const columns of [1, 5, 12, 20, 40, 80]) {
        for (const o of options)
          expect(fast.wrap(s, columns, o), `${JSON.stringify(s)} at ${columns} ${JSON.stringify(o)}`).toBe(real.wrap(s, columns, o));
      }
    }
  });

  it('the bundle really carries both fast paths (so the comparisons above compare something)', () => {
    const bundled = readFileSync(path.join(dir, 'out.cjs'), 'utf8');
    expect(bundled).toMatch(/if \(!\/\[\\u001B\\u009B\]\/\.test\(rows\.join\("\\n"\)\)\) return rows\.join\("\\n"\);/);
    expect(bundled).toContain('s.length : full(s)');
  });
});
