import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../src/cli/progress.ts';
import { confirmOrRefuse } from '../../../src/cli/confirm.ts';
import type { CliDeps } from '../../../src/cli/deps.ts';

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
}

describe('progress line', () => {
  it('when stderr is a terminal, it shows bytes, total, rate and ETA, redrawn in place, and clears itself', () => {
    const out = sink();
    let now = 0;
    const p = createProgress(out.stream, true, 'uploading snapshot', () => now);
    p.setTotal(100 * 1024 * 1024);
    now = 1000;
    p.update(25 * 1024 * 1024);
    expect(out.text()).toBe('\r\x1b[2Kuploading snapshot 25.0 MiB of 100.0 MiB  25.0 MiB/s ETA 3s');
    now = 1100;
    p.update(26 * 1024 * 1024); // throttled: at most five redraws a second
    expect(out.text()).not.toContain('26.0 MiB');
    p.done();
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
  });

  it('when stderr is not a terminal, it prints nothing at all', () => {
    const out = sink();
    const p = createProgress(out.stream, false, 'uploading snapshot');
    p.update(1);
    p.done();
    expect(out.text()).toBe('');
  });
});

describe('confirmation of downtime', () => {
  const deps = (interactive: boolean, answer: string) => {
    const err = sink();
    return { d: { interactive, stdin: Readable.from([`${answer}\n`]), stderr: err.stream } as unknown as CliDeps, err };
  };

  it('with --yes it does not ask', async () => {
    await expect(confirmOrRefuse(deps(false, '').d, 'Continue?', true, 'hint')).resolves.toBeUndefined();
  });

  it('without a terminal and without --yes it refuses with exit 2 and a hint', async () => {
    await expect(confirmOrRefuse(deps(false, '').d, 'Continue?', false, 'or use --online')).rejects.toMatchObject({
      exitCode: 2,
      hint: 'pass --yes to confirm (or use --online)',
    });
  });

  it('on a terminal it asks on stderr and goes on only on yes', async () => {
    const yes = deps(true, 'y');
    await expect(confirmOrRefuse(yes.d, 'Pause clusters/demo?', false, 'hint')).resolves.toBeUndefined();
    expect(yes.err.text()).toContain('Pause clusters/demo? [y/N]');
    await expect(confirmOrRefuse(deps(true, 'n').d, 'Pause?', false, 'hint')).rejects.toMatchObject({
      exitCode: 2,
      message: 'aborted: not confirmed',
    });
  });
});
