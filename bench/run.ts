/**
 * `npm run bench`: runs every benchmark script in turn (each in its own process, so one's
 * memory does not skew another's) and writes bench/RESULTS.md with the machine and the date.
 * Scripts that do not exist yet are reported as not run.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, type Figure } from './lib.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const SCRIPTS = [
  'startup.ts',
  'etcd-status.ts',
  'backup.ts',
  'rgw.ts',
  'restore.ts',
  'render.ts',
  'export.ts',
  'fleet.ts',
  'crd-agreement.ts',
].filter((s) => only.length === 0 || only.some((o) => s.startsWith(o)));

async function runScript(script: string): Promise<{ figures: Figure[]; failed: string | undefined }> {
  const file = path.join(here, script);
  if (!existsSync(file)) return { figures: [], failed: 'not present' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const figures: Figure[] = [];
    let buffer = '';
    child.stdout.on('data', (c: Buffer) => {
      buffer += c.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('BENCH ')) figures.push(JSON.parse(line.slice(6)) as Figure);
        else process.stdout.write(`  ${line}\n`);
      }
    });
    child.on('close', (code) => resolve({ figures, failed: code === 0 ? undefined : `exit ${code}` }));
  });
}

const fmt = (n: number | undefined, unit = '') =>
  n === undefined ? '' : `${Number.isInteger(n) ? n : n.toFixed(n < 10 ? 2 : 1)}${unit ? ` ${unit}` : ''}`;
const rows: string[] = [];
const problems: string[] = [];
for (const script of SCRIPTS) {
  console.log(`bench: ${script}`);
  const { figures, failed } = await runScript(script);
  if (failed) problems.push(`${script}: ${failed}`);
  for (const f of figures) {
    rows.push(
      `| ${f.bench} | ${f.metric} | ${fmt(f.value, f.unit)} | ${f.baseline ? `${f.baseline.label}: ${fmt(f.baseline.value, f.unit)}` : ''} | ${f.ratio === undefined ? '' : `${fmt(f.ratio)}x`} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} | ${f.note ?? ''} |`,
    );
  }
}
const date = new Date().toISOString().slice(0, 10);
const md = `# Benchmark results

Measured ${date} on: ${machine()}.
Produced by \`npm run bench\` (bench/run.ts); each ratio is against a baseline measured in the same run.

| benchmark | metric | value | baseline | ratio | target | met | note |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}
${problems.length ? `\nNot measured: ${problems.join('; ')}.\n` : ''}`;
if (only.length === 0) writeFileSync(path.join(here, 'RESULTS.md'), md);
console.log(md);
