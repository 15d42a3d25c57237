/**
 * `npm run bench [script-prefix...]`: runs the benchmark scripts (all, or those named) in turn,
 * each in its own process so one's memory does not skew another's, stores their figures with the
 * date and machine in bench/results.json and renders bench/RESULTS.md (see results.ts).
 * Scripts that do not exist yet are reported as not run.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, type Figure } from './lib.ts';
import { mergeResults, readResults, renderResults, type StoredFigure } from './results.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const ALL_SCRIPTS = [
  'startup.ts',
  'etcd-status.ts',
  'backup.ts',
  'backup-encoded.ts',
  'rgw.ts',
  'restore.ts',
  'restore-staging.ts',
  'etcd-restore.ts',
  'drill.ts',
  'render.ts',
  'export.ts',
  'fleet.ts',
  'move.ts',
  'crd-agreement.ts',
];
const SCRIPTS = ALL_SCRIPTS.filter((s) => only.length === 0 || only.some((o) => s.startsWith(o)));

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

const ran: string[] = [];
const fresh: StoredFigure[] = [];
const problems: string[] = [];
const date = new Date().toISOString().slice(0, 10);
const where = machine();
for (const script of SCRIPTS) {
  console.log(`bench: ${script}`);
  const { figures, failed } = await runScript(script);
  if (failed) problems.push(`${script}: ${failed}`);
  // A script that failed keeps its earlier figures: a partial run would pass for a measurement.
  if (failed) continue;
  ran.push(script);
  for (const f of figures) fresh.push({ ...f, script, date, machine: where });
}
const resultsFile = path.join(here, 'results.json');
const merged = mergeResults(readResults(resultsFile), ran, fresh);
writeFileSync(resultsFile, `${JSON.stringify(merged, null, 2)}\n`);
const md = renderResults(merged, ALL_SCRIPTS, problems);
writeFileSync(path.join(here, 'RESULTS.md'), md);
console.log(md);
