import { describe, expect, it } from 'vitest';
import { exitCodeOf, formatError } from '../../../src/cli/exit.ts';
import { NotFoundError, PartialFailureError, RemoteError, UsageError } from '../../../src/core/errors.ts';
import { redactSecrets } from '../../../src/core/redact.ts';

describe('error output', () => {
  it('prints one error line and a hint naming the host command, with the documented exit code', () => {
    const err = new PartialFailureError('failed to back up "clusters/demo": boom', { hint: 'run: {cmd} resume demo -n clusters' });
    expect(formatError(err, { verbose: false, host: 'oc' })).toBe(
      'error: failed to back up "clusters/demo": boom\nhint: run: oc hcp-dr resume demo -n clusters\n',
    );
    expect(exitCodeOf(err)).toBe(5);
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new NotFoundError('x'))).toBe(3);
  });

  it('folds a multi-line cause into one line and shows stacks only with -v', () => {
    const err = new RemoteError('failed to get pods: line one\n  line two', { cause: new Error('socket hang up') });
    const quiet = formatError(err, { verbose: false, host: 'kubectl' });
    expect(quiet).toBe('error: failed to get pods: line one; line two\n');
    const loud = formatError(err, { verbose: true, host: 'kubectl' });
    expect(loud).toContain('caused by: Error: socket hang up');
    expect(loud).toMatch(/at .*exit\.test\.ts/);
  });

  it('turns an unexpected exception into an internal error asking for a report, exit 1', () => {
    const text = formatError(new TypeError('x is undefined'), { verbose: false, host: 'kubectl' });
    expect(text).toContain('error: unexpected error: x is undefined');
    expect(text).toContain('this is a bug in hcp-dr');
    expect(exitCodeOf(new TypeError('x'))).toBe(1);
  });

  it('never prints a pre-signed URL signature, session token or bearer token', () => {
    const url =
      'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Security-Token=FQoGZX&X-Amz-Signature=deadbeef&X-Amz-Expires=3600';
    const text = formatError(new RemoteError(`failed to fetch ${url} with Authorization: Bearer abc.def`), {
      verbose: true,
      host: 'kubectl',
    });
    expect(text).not.toMatch(/deadbeef|FQoGZX|AKIA|abc\.def/);
    expect(text).toContain('X-Amz-Expires=3600');
    expect(redactSecrets(url)).toContain('X-Amz-Signature=REDACTED');
  });
});
