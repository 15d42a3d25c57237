/** The README states what the code does: its tables are checked against their sources. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderRuleTable } from '../../src/core/export/clean-rules.ts';
import { EXIT_CODES_HELP } from '../../src/cli/exit-codes-help.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('lists exactly the export cleaning rules of the rule table', () => {
    expect(readme).toContain(renderRuleTable().trim());
  });

  it('documents every exit code that --help documents', () => {
    const codes = [...EXIT_CODES_HELP.matchAll(/^\s+(\d+)\s/gm)].map((m) => m[1]);
    expect(codes).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '130']);
    for (const code of codes) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});
