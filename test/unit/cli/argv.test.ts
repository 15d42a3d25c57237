/**
 * The CLI parses every flag once (issue 26.4): a repeated flag takes its last value for every
 * command (render and validate refuse repeats), an unknown flag is named once in the user's
 * spelling, label selectors are checked with the API server's grammar before any request.
 */
import { describe, expect, it } from 'vitest';
import { commandPath, lastValueWins, unknownArgumentsMessage } from '../../../src/cli/argv.ts';
import { checkLabelSelector } from '../../../src/cli/selector.ts';
import { runCliInProcess } from '../../support/cli.ts';

describe('repeated flags', () => {
  it('take the last value, under the kebab and the camelCase key alike', () => {
    const argv = {
      _: ['etcd', 'status'],
      $0: 'x',
      concurrency: ['16', '2'],
      'request-timeout': ['1s', '5s'],
      requestTimeout: ['1s', '5s'],
    };
    lastValueWins(argv);
    expect(argv).toMatchObject({ concurrency: '2', 'request-timeout': '5s', requestTimeout: '5s' });
  });

  it('leave array positionals (schedule a b) and the commands that refuse repeats alone', () => {
    const schedule = { _: ['schedule'], $0: 'x', 'hosted-cluster': ['a', 'b'] };
    lastValueWins(schedule);
    expect(schedule['hosted-cluster']).toEqual(['a', 'b']);
    const render = { _: ['render'], $0: 'x', 'snapshot-url': ['a', 'b'] };
    lastValueWins(render);
    expect(render['snapshot-url']).toEqual(['a', 'b']);
  });

  it('etcd status -A --concurrency 16 --concurrency 2 no longer crashes: the last value is checked', async () => {
    const run = await runCliInProcess([
      'etcd',
      'status',
      '-A',
      '--concurrency',
      '16',
      '--concurrency',
      '0',
      '--kubeconfig',
      '/nonexistent',
    ]);
    expect(run.stderr).toMatch(/^error: invalid --concurrency "0"/m);
    expect(run.stderr).not.toMatch(/is not a function|this is a bug/);
    expect(run.code).toBe(2);
  });

  it('a repeated duration: the last one counts (-1d refused as negative, not "Unknown arguments: 1, d")', async () => {
    const run = await runCliInProcess(['backup', 'prune', '--from', 's3://b/x', '--keep-within', '7d', '--keep-within', '-1d']);
    expect(run.stderr).toMatch(/^error: invalid --keep-within "-1d": a span cannot be negative$/m);
    expect(run.code).toBe(2);
  });
});

describe('unknown flags', () => {
  it('are named once each, as typed, without camelCase twins', () => {
    const raw = ['resume', 'demo', '--bogus-flag', 'x', '--ca-bundl', 'y', '-Z'];
    expect(unknownArgumentsMessage('Unknown arguments: bogus-flag, bogusFlag, ca-bundl, caBundl, Z', raw)).toBe(
      'unknown flags: --bogus-flag, --ca-bundl, -Z',
    );
    expect(unknownArgumentsMessage('Unknown argument: nosuch', ['nosuch'])).toBe('unknown argument: nosuch');
    expect(unknownArgumentsMessage('Missing required argument: to', [])).toBeUndefined();
  });

  it('the hint names the help of the command typed', async () => {
    expect(commandPath(['backup', 'prune', '--from', 'x'])).toBe('backup prune');
    const run = await runCliInProcess(['backup', 'list', '--from', 's3://b/x', '--bogus-flag']);
    expect(run.stderr).toBe('error: unknown flag: --bogus-flag\nhint: run "kubectl hcp-dr backup list --help"\n');
    expect(run.code).toBe(2);
  });

  it('resume, its own command, names only the flags it lacks, once, on one line', async () => {
    const run = await runCliInProcess(['resume', 'demo', '--endpoint', 'x', '--ca-bundle', 'y', '--bogus-flag', 'z', '--other-thing', 'w']);
    expect(run.stderr).toBe('error: unknown flags: --bogus-flag, --other-thing\nhint: run "kubectl hcp-dr resume --help"\n');
    expect(run.code).toBe(2);
  });

  it('come before a missing required flag: a misspelled --from is reported as typed, not as --from missing', async () => {
    const misspelled = await runCliInProcess(['backup', 'list', '--form', 's3://b/x']);
    expect(misspelled.stderr).toBe('error: unknown flag: --form\nhint: run "kubectl hcp-dr backup list --help"\n');
    expect(misspelled.code).toBe(2);
    const missing = await runCliInProcess(['backup', 'list']);
    expect(missing.stderr).toBe('error: Missing required argument: from\nhint: run "kubectl hcp-dr backup list --help"\n');
    expect(missing.code).toBe(2);
  });
});

describe('label selectors', () => {
  it.each([
    'env=prod',
    'env==prod',
    'env!=prod',
    'env in (prod, stage)',
    'env notin (a)',
    '!canary',
    'tier',
    'app.kubernetes.io/name=x,env=',
    'env in ()',
  ])('accepts %s', (text) => expect(checkLabelSelector(text, '-l')).toBe(text.trim()));
  it.each([
    ['env in (', /a "\(" is not closed/],
    ['env in prod)', /unbalanced parentheses/],
    ['a,,b', /an empty requirement/],
    ['my env=prod', /"my env" is not a label key/],
    [`env=${'v'.repeat(64)}`, /is not a label value/],
    ['env in (a', /not closed/],
    ['env=a b', /is not a label value/],
  ])('refuses %s', (text, why) => expect(() => checkLabelSelector(text, '--selector (-l)')).toThrow(why));
});

describe('resume --help', () => {
  it('describes every workflow it resumes', async () => {
    const run = await runCliInProcess(['resume', '--help']);
    expect(run.code).toBe(0);
    for (const workflow of ['backup:', 'restore:', 'etcd restore:', 'recover-member:', 'move ('])
      expect(run.stdout).toContain(`\n  ${workflow}`);
  });
});
