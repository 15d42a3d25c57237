/** docs/reference.md is the CLI's own --help: rendered again here, it must equal the file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFERENCE_PATH, REGENERATE, renderReference, subcommandsOf } from '../../plugin/reference.ts';

describe('docs/reference.md', () => {
  it(`is up to date with the command definitions (if not: run "${REGENERATE}")`, async () => {
    const expected = await renderReference();
    const actual = readFileSync(REFERENCE_PATH, 'utf8');
    if (actual !== expected) expect.fail(`docs/reference.md is stale: run "${REGENERATE}" and commit the result`);
  });

  it('covers every command and subcommand, each with its flags', async () => {
    const text = await renderReference();
    for (const path of ['etcd status', 'etcd recover-member', 'etcd restore', 'backup list', 'backup prune', 'resume', 'move', 'version']) {
      expect(text).toContain(`\n## kubectl hcp-dr ${path}\n`);
    }
    const move = text.split('\n## ').find((s) => s.startsWith('kubectl hcp-dr move\n')) ?? '';
    expect(move).toMatch(/--to-context/);
  });

  it('finds subcommands in a help, not the default command or wrapped usage', () => {
    const help = [
      'Commands:',
      '  kubectl hcp-dr backup list [hosted-cluster]   List',
      '  kubectl hcp-dr etcd recover-member            Replace',
      '  <hosted-cluster> [member]                     one',
      '  kubectl hcp-dr backup [hosted-cluster]        Take            [default]',
      '',
      'Options:',
      '  kubectl hcp-dr backup fake   not a command',
    ].join('\n');
    expect(subcommandsOf(help, ['backup'])).toEqual([['backup', 'list']]);
    expect(subcommandsOf(help, [])).toEqual([['backup', 'list'], ['etcd', 'recover-member'], ['backup']]);
  });
});
