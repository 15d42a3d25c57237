import { describe, expect, it } from 'vitest';
import { mergeResults, renderResults, type StoredFigure } from '../../bench/results.ts';

const fig = (script: string, metric: string, value: number, date: string, machine: string): StoredFigure => ({
  bench: script.replace('.ts', ''),
  metric,
  value,
  unit: 's',
  script,
  date,
  machine,
});

describe('bench results', () => {
  const stored = [fig('backup.ts', 'rate', 1, '2026-11-21', 'M1'), fig('restore.ts', 'time', 9, '2026-11-21', 'M1')];

  it('a run of some scripts replaces only their figures', () => {
    const merged = mergeResults(stored, ['restore.ts'], [fig('restore.ts', 'time', 7, '2026-11-29', 'M2')]);
    expect(merged.map((f) => [f.script, f.value, f.date])).toEqual([
      ['backup.ts', 1, '2026-11-21'],
      ['restore.ts', 7, '2026-11-29'],
    ]);
    expect(mergeResults(stored, [], [])).toEqual(stored);
  });

  it('renders rows in script order, each with its date and machine label', () => {
    const merged = mergeResults(stored, ['restore.ts'], [fig('restore.ts', 'time', 7, '2026-11-29', 'M2')]);
    const md = renderResults(merged, ['restore.ts', 'backup.ts'], ['fleet.ts: exit 1']);
    expect(md).toContain('- A: M2\n- B: M1');
    const rows = md.split('\n').filter((l) => l.startsWith('| restore') || l.startsWith('| backup'));
    expect(rows).toEqual([
      '| restore | time | 7 s |  |  |  |  |  | 2026-11-29 (A) |',
      '| backup | rate | 1 s |  |  |  |  |  | 2026-11-21 (B) |',
    ]);
    expect(md).toContain('Not measured in the last run: fleet.ts: exit 1.');
  });
});
