/** The README and docs/ state what the code does: their tables are checked against their sources, their links resolve. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderRuleTable } from '../../src/core/objects/clean-rules.ts';
import { EXIT_CODES_HELP } from '../../src/cli/exit-codes-help.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const readme = read('README.md');

describe('README and docs', () => {
  it('docs/gitops.md lists exactly the export cleaning rules of the rule table', () => {
    expect(read('docs/gitops.md')).toContain(renderRuleTable().trim());
  });

  it('docs/exit-codes.md documents every exit code that --help documents', () => {
    const codes = [...EXIT_CODES_HELP.matchAll(/^\s+(\d+)\s/gm)].map((m) => m[1]);
    expect(codes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '130']);
    const page = read('docs/exit-codes.md');
    for (const code of codes) expect(page).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    expect(readme).toContain('(docs/exit-codes.md)');
  });

  it('the README stays short and its two commands are the ones package.json runs', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(readme).toMatch(/^npm run demo {3}# /m);
    expect(readme).toMatch(/^npm test {7}# /m);
    // The demo needs no kube-apiserver (the simulator's judge in the tests): its set-up skips that build.
    expect(scripts['predemo']).toMatch(/^(HCP_DR_SKIP_KUBE_APISERVER=1 )?bash test\/setup\.sh$/);
    expect(scripts['pretest']).toBe('bash test/setup.sh');
  });

  it('every relative link in README.md and docs/*.md names a file that exists', () => {
    const pages = [
      'README.md',
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    const broken: string[] = [];
    for (const page of pages) {
      for (const m of read(page).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] ?? '';
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(root, dirname(page), target))) broken.push(`${page} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
