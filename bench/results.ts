/**
 * bench/results.json keeps every figure with the script, the date and the machine of the run that
 * measured it; bench/RESULTS.md is rendered from it. A run of some scripts (`npm run bench -- restore`)
 * replaces only those scripts' figures, so a long benchmark can be measured again on its own without
 * the others' rows being lost or passed off as new: each row says when and where it was measured.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Figure } from './lib.ts';

export interface StoredFigure extends Figure {
  /** The benchmark script that measured it, e.g. restore.ts. */
  script: string;
  /** YYYY-MM-DD of the run. */
  date: string;
  /** machine() of the run. */
  machine: string;
}

export function readResults(file: string): StoredFigure[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StoredFigure[]) : [];
}

/** The stored figures with those of the scripts that just ran replaced by what they measured. */
export function mergeResults(stored: StoredFigure[], ran: readonly string[], fresh: StoredFigure[]): StoredFigure[] {
  return [...stored.filter((f) => !ran.includes(f.script)), ...fresh];
}

const fmt = (n: number | undefined, unit = '') =>
  n === undefined ? '' : `${Number.isInteger(n) ? n : n.toFixed(n < 10 ? 2 : 1)}${unit ? ` ${unit}` : ''}`;

/** RESULTS.md: the machines once each (A, B, ...), then one table, rows in script order. */
export function renderResults(figures: StoredFigure[], scriptOrder: readonly string[], notMeasured: readonly string[]): string {
  const rank = (s: string) => (scriptOrder.includes(s) ? scriptOrder.indexOf(s) : scriptOrder.length);
  const sorted = figures.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f.script) - rank(b.f.script) || a.i - b.i);
  const machines = [...new Set(sorted.map(({ f }) => f.machine))];
  const label = (m: string) => String.fromCharCode(65 + machines.indexOf(m));
  const rows = sorted.map(
    ({ f }) =>
      `| ${f.bench} | ${f.metric} | ${fmt(f.value, f.unit)} | ${f.baseline ? `${f.baseline.label}: ${fmt(f.baseline.value, f.unit)}` : ''} | ${f.ratio === undefined ? '' : `${fmt(f.ratio)}x`} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} | ${f.note ?? ''} | ${f.date} (${label(f.machine)}) |`,
  );
  return `# Benchmark results

Produced by \`npm run bench\` (bench/run.ts) from bench/results.json; each ratio is against a baseline measured in the
same run as the figure. A run of some scripts replaces only their rows; the last column says when and on which machine
each row was measured:
${machines.map((m) => `- ${label(m)}: ${m}`).join('\n')}

| benchmark | metric | value | baseline | ratio | target | met | note | measured |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
${notMeasured.length ? `\nNot measured in the last run: ${notMeasured.join('; ')}.\n` : ''}`;
}
