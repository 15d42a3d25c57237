/**
 * Agreement of the offline CRD validator with HyperShift's own CRD test suites
 * (openshift/api schema-checker format) found in ../shared/hypershift relative to the repo.
 * Used by test/integration/crd-suites.test.ts and runnable directly:
 *   node bench/crd-agreement.ts [suites-dir crds-dir]
 * The suites and CRDs are read at run time and never copied into the repository.
 *
 * Like HyperShift's envtest runner: an onUpdate case with `initialCRDPatches` creates its
 * initial object under the CRD with those patches applied, then updates it under the CRD as
 * it is (ratcheting). Unlike it, every suite file is isolated: a file that cannot be read is
 * reported as malformed and the other suites still run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { compileCrds, formatFieldError, validateObject } from '../src/core/validate/index.ts';
import type { CrdRegistry, ValidationResult } from '../src/core/validate/index.ts';
import { applyCrdPatches, describeDuplicates, readYaml } from './crd-suite-files.ts';
import type { CrdPatch, DuplicateKey } from './crd-suite-files.ts';

export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'hypershift');

export interface SuiteDirs {
  suites: string;
  crds: string;
}

export const SHARED_DIRS: SuiteDirs = { suites: join(SHARED_DIR, 'crd-tests'), crds: join(SHARED_DIR, 'crds') };

export interface CaseOutcome {
  suite: string;
  phase: 'onCreate' | 'onUpdate';
  name: string;
  agree: boolean;
  reason: string;
  /** Duplicated keys in the case's own YAML documents (read last-key-wins, as Go does). */
  notes?: string[];
}

export interface SuiteReport {
  file: string;
  /** malformed: nothing of the file ran; duplicate-keys: ran as read last-key-wins. */
  status: 'ok' | 'duplicate-keys' | 'malformed';
  /** Why a malformed file was refused, or what the strict reading says of duplicates. */
  problem?: string;
  duplicates: DuplicateKey[];
  outcomes: CaseOutcome[];
}

export interface SuiteRun {
  suites: SuiteReport[];
  outcomes: CaseOutcome[];
}

interface SuiteCase {
  name: string;
  initial: string;
  updated?: string;
  expected?: string;
  expectedError?: string;
  expectedStatusError?: string;
  initialCRDPatches?: CrdPatch[];
}

interface Suite {
  name?: string;
  crdName: string;
  tests: { onCreate?: SuiteCase[]; onUpdate?: SuiteCase[] };
}

export function sharedAvailable(): boolean {
  return existsSync(SHARED_DIRS.suites) && existsSync(SHARED_DIRS.crds);
}

const crdName = (c: object): string => (c as { metadata?: { name?: string } }).metadata?.name ?? '';

function loadCrds(dir: string): object[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => yaml.loadAll(readFileSync(join(dir, f), 'utf8')).filter((d): d is object => d !== null && typeof d === 'object'));
}

function withName(o: unknown): object {
  const obj = structuredClone(o) as Record<string, unknown>;
  obj['metadata'] = { name: 'test', namespace: 'default', ...(obj['metadata'] as object | undefined) };
  return obj;
}

function stripMeta(o: unknown): unknown {
  const { metadata: _m, ...rest } = o as Record<string, unknown>;
  return rest;
}

function judge(result: ValidationResult, c: SuiteCase): { agree: boolean; reason: string } {
  const messages = result.errors.map(formatFieldError);
  const expectedError = c.expectedError ?? c.expectedStatusError;
  if (!result.crdFound) return { agree: false, reason: 'CRD not found' };
  if (result.notEvaluated.length > 0 && expectedError === undefined) {
    return { agree: false, reason: `not evaluated: ${result.notEvaluated.map(formatFieldError).join('; ')}` };
  }
  if (expectedError !== undefined) {
    if (messages.some((m) => m.includes(expectedError))) return { agree: true, reason: '' };
    return {
      agree: false,
      reason: `expected error ${JSON.stringify(expectedError)}, got ${JSON.stringify(messages)}; notEvaluated ${JSON.stringify(result.notEvaluated.map(formatFieldError))}`,
    };
  }
  if (messages.length > 0) return { agree: false, reason: `unexpected errors: ${JSON.stringify(messages)}` };
  if (c.expected !== undefined) {
    const want = parseDoc(c.expected, 'expected', []);
    const got = stripMeta(result.defaulted);
    if (!deepEqualJson(stripMeta(want), got))
      return { agree: false, reason: `defaulted object differs:\n want ${JSON.stringify(stripMeta(want))}\n got  ${JSON.stringify(got)}` };
  }
  return { agree: true, reason: '' };
}

function deepEqualJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqualJson(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.join() === kb.join() && ka.every((k) => deepEqualJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

class CaseError extends Error {}

/** A case's embedded YAML document, read last-key-wins like Go; duplicates go to `notes`. */
function parseDoc(text: unknown, field: string, notes: string[]): unknown {
  if (typeof text !== 'string') throw new CaseError(`${field} is not a string`);
  const r = readYaml(text);
  if (!r.ok) throw new CaseError(`${field} is not valid YAML: ${r.error}`);
  for (const d of describeDuplicates(r.duplicates)) notes.push(`${field}: ${d}`);
  return r.value;
}

function runCase(
  suite: Suite,
  file: string,
  phase: CaseOutcome['phase'],
  c: SuiteCase,
  registry: CrdRegistry,
  crds: object[],
): CaseOutcome {
  const name = typeof c?.name === 'string' ? c.name : '(unnamed)';
  const notes: string[] = [];
  const done = (verdict: { agree: boolean; reason: string }): CaseOutcome => ({
    suite: file,
    phase,
    name,
    ...verdict,
    ...(notes.length > 0 ? { notes } : {}),
  });
  try {
    if (phase === 'onCreate') return done(judge(validateObject(registry, withName(parseDoc(c.initial, 'initial', notes))), c));
    const patches = c.initialCRDPatches ?? [];
    if (!Array.isArray(patches)) throw new CaseError('initialCRDPatches is not a list');
    let createRegistry = registry;
    if (patches.length > 0) {
      const original = crds.find((x) => crdName(x) === suite.crdName) as object;
      createRegistry = compileCrds([...crds.filter((x) => x !== original), applyCrdPatches(original, patches)]);
    }
    const created = validateObject(createRegistry, withName(parseDoc(c.initial, 'initial', notes)));
    if (created.errors.length > 0) {
      const under = patches.length > 0 ? ' (under the patched CRD)' : '';
      return done({ agree: false, reason: `initial object rejected${under}: ${created.errors.map(formatFieldError).join('; ')}` });
    }
    const updated = c.updated === undefined ? c.initial : c.updated;
    return done(judge(validateObject(registry, withName(parseDoc(updated, 'updated', notes)), { old: created.defaulted as object }), c));
  } catch (err) {
    const reason =
      err instanceof CaseError ? err.message : `runner error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    return done({ agree: false, reason });
  }
}

/** Why `v` is not a suite (one line), or undefined when it has the shape the Go runner needs. */
function suiteShapeProblem(v: unknown, crds: object[]): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a mapping';
  const s = v as Record<string, unknown>;
  if (typeof s['crdName'] !== 'string' || s['crdName'] === '') return 'missing required field `crdName`';
  if (!crds.some((c) => crdName(c) === s['crdName'])) return `no CRD named ${s['crdName']} among the CRDs`;
  const tests = s['tests'];
  if (tests === null || typeof tests !== 'object' || Array.isArray(tests)) return '`tests` is not a mapping';
  for (const phase of ['onCreate', 'onUpdate']) {
    const list = (tests as Record<string, unknown>)[phase];
    if (list !== undefined && list !== null && !Array.isArray(list)) return `tests.${phase} is not a list`;
  }
  return undefined;
}

function runSuiteFile(dir: string, file: string, registry: CrdRegistry, crds: object[]): SuiteReport {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    return { file, status: 'malformed', problem: `cannot read: ${(err as Error).message}`, duplicates: [], outcomes: [] };
  }
  const read = readYaml(text);
  if (!read.ok) return { file, status: 'malformed', problem: `not valid YAML: ${read.error}`, duplicates: [], outcomes: [] };
  const problem = suiteShapeProblem(read.value, crds);
  if (problem !== undefined) return { file, status: 'malformed', problem, duplicates: read.duplicates, outcomes: [] };
  const suite = read.value as Suite;
  const outcomes = [
    ...(suite.tests.onCreate ?? []).map((c) => runCase(suite, file, 'onCreate', c, registry, crds)),
    ...(suite.tests.onUpdate ?? []).map((c) => runCase(suite, file, 'onUpdate', c, registry, crds)),
  ];
  if (read.duplicates.length === 0) return { file, status: 'ok', duplicates: [], outcomes };
  return { file, status: 'duplicate-keys', problem: `strict reading: ${read.strictError}`, duplicates: read.duplicates, outcomes };
}

/** Run every onCreate/onUpdate case of every `*.testsuite.yaml` in `dirs.suites`, each file on its own. */
export function runSuites(dirs: SuiteDirs = SHARED_DIRS): SuiteRun {
  const crds = loadCrds(dirs.crds);
  const registry = compileCrds(crds);
  const files = readdirSync(dirs.suites)
    .filter((f) => f.endsWith('.testsuite.yaml'))
    .sort();
  const suites = files.map((f) => runSuiteFile(dirs.suites, f, registry, crds));
  return { suites, outcomes: suites.flatMap((s) => s.outcomes) };
}

/** `suite: agreeing/total` lines, malformed files and duplicated keys, the overall figure and each disagreement. */
export function summarize(run: SuiteRun): string {
  const lines: string[] = [];
  for (const s of run.suites) {
    if (s.status === 'malformed') {
      lines.push(`${s.file}: MALFORMED, not run: ${s.problem}`);
      continue;
    }
    lines.push(`${s.file}: ${s.outcomes.filter((o) => o.agree).length}/${s.outcomes.length}`);
    if (s.status === 'duplicate-keys') {
      lines.push(`  duplicated keys, run as read last-key-wins (as HyperShift's runner reads them); ${s.problem}`);
      for (const d of describeDuplicates(s.duplicates)) lines.push(`  - ${d}`);
    }
  }
  const { outcomes } = run;
  lines.push(`TOTAL: ${outcomes.filter((o) => o.agree).length}/${outcomes.length}`);
  const malformed = run.suites.filter((s) => s.status === 'malformed').length;
  if (malformed > 0) lines.push(`MALFORMED suite files: ${malformed}`);
  for (const o of outcomes.filter((x) => !x.agree)) lines.push(`DISAGREE ${o.suite} ${o.phase} "${o.name}": ${o.reason}`);
  for (const o of outcomes.filter((x) => x.notes))
    for (const n of o.notes ?? []) lines.push(`NOTE ${o.suite} ${o.phase} "${o.name}": ${n}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [suitesArg, crdsArg] = process.argv.slice(2);
  const dirs = suitesArg !== undefined && crdsArg !== undefined ? { suites: resolve(suitesArg), crds: resolve(crdsArg) } : SHARED_DIRS;
  if (!existsSync(dirs.suites) || !existsSync(dirs.crds)) {
    console.log(`skipped: HyperShift CRD suites not found under ${dirs.suites} and ${dirs.crds}`);
  } else {
    const run = runSuites(dirs);
    console.log(summarize(run));
    const { outcomes } = run;
    const agreeing = outcomes.filter((o) => o.agree).length;
    const malformed = run.suites.filter((s) => s.status === 'malformed').length;
    const { emit } = await import('./lib.ts');
    emit({
      bench: 'validate',
      metric: 'agreement with HyperShift CRD suites',
      value: agreeing,
      unit: `of ${outcomes.length} cases`,
      target: '100%',
      met: agreeing === outcomes.length && malformed === 0,
    });
  }
}
