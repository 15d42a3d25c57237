/** Duration flags and repository URLs: what is accepted, what is refused and how. */
import { describe, expect, it } from 'vitest';
import { boundedDuration, joinDashValues, MAX_TIMER_DURATION_MS, parseDuration } from '../../../src/cli/global-flags.ts';
import { gitRepoUrl } from '../../../src/cli/commands/export/export-run.ts';
import { UsageError } from '../../../src/core/errors.ts';

describe('duration flags', () => {
  it('joins a dash-led value to its duration flag only', () => {
    expect(joinDashValues(['backup', 'demo', '--pause-ttl', '-5m', '--yes'])).toEqual(['backup', 'demo', '--pause-ttl=-5m', '--yes']);
    expect(joinDashValues(['--expires', '-1h', '-o', 'json'])).toEqual(['--expires=-1h', '-o', 'json']);
    // Not a duration flag, or not a number after the dash: left to the parser.
    expect(joinDashValues(['--to', '-5m'])).toEqual(['--to', '-5m']);
    expect(joinDashValues(['--pause-ttl', '-y'])).toEqual(['--pause-ttl', '-y']);
  });

  it('refuses a negative duration in one line naming it', () => {
    expect(() => parseDuration('-5m', '--pause-ttl')).toThrow(UsageError);
    expect(() => parseDuration('-5m', '--pause-ttl')).toThrow('invalid duration "-5m" for --pause-ttl: a duration cannot be negative');
  });

  it('keeps every duration below the point where Node timers overflow', () => {
    expect(MAX_TIMER_DURATION_MS).toBeLessThan(2 ** 31 - 1);
    expect(boundedDuration('24h', '--pause-ttl', { minMs: 60_000, maxMs: MAX_TIMER_DURATION_MS })).toBe(86_400_000);
    expect(() => boundedDuration('9999999h', '--pause-ttl', { minMs: 60_000, maxMs: MAX_TIMER_DURATION_MS })).toThrow(
      'invalid --pause-ttl "9999999h": it must be between 1m and 24h',
    );
    expect(() => boundedDuration('24h1s', '--wait-timeout', { minMs: 1000, maxMs: MAX_TIMER_DURATION_MS })).toThrow(/between 1s and 24h/);
    expect(boundedDuration('0', '--request-timeout', { minMs: 0, maxMs: MAX_TIMER_DURATION_MS })).toBe(0);
  });
});

describe('--argocd-app', () => {
  it('accepts what Argo CD clones', () => {
    for (const url of [
      'https://git.example.com/ops.git',
      'http://git.local/ops',
      'ssh://git@git.example.com:2222/ops.git',
      'git://git.example.com/ops',
      'git@github.com:org/ops.git',
    ]) {
      expect(gitRepoUrl(url)).toBe(url);
    }
  });
  it('refuses anything else', () => {
    for (const url of ['not a url', 'ops.git', 'ftp://git.example.com/ops', 'https://', 'file:///srv/ops.git', 'git@github.com:']) {
      expect(() => gitRepoUrl(url), url).toThrow(/not a git repository URL/);
    }
  });
});
