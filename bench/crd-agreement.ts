/**
 * Agreement of the offline CRD validator with HyperShift's own CRD test suites
 * (openshift/api schema-checker format) found in ../shared/hypershift relative to the repo.
 * Used by test/integration/crd-suites.test.ts and runnable directly:
 *   node bench/crd-agreement.ts
 * The suites and CRDs are read at run time and never copied into the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { compileCrds, formatFieldError, validateObject } from '../src/core/validate/index.ts';
import type { CrdRegistry, ValidationResult } from '../src/core/validate/index.ts';

export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'hypershift');

export interface CaseOutcome {
  suite: string;
  phase: 'onCreate' | 'onUpdate';
  name: string;
  agree: boolean;
  reason: string;
}

interface SuiteCase {
  name: string;
  initial: string;
  updated?: string;
  expected?: string;
  expectedError?: string;
  expectedStatusError?: string;
}

interface Suite {
  name: string;
  crdName: string;
  tests: { onCreate?: SuiteCase[]; onUpdate?: SuiteCase[] };
}

export function sharedAvailable(): boolean {
  return existsSync(join(SHARED_DIR, 'crd-tests')) && existsSync(join(SHARED_DIR, 'crds'));
}

function loadCrds(): { registry: CrdRegistry; byName: Map<string, object> } {
  const dir = join(SHARED_DIR, 'crds');
  const crds = readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) => yaml.loadAll(readFileSync(join(dir, f), 'utf8')) as object[]);
  const byName = new Map<string, object>();
  for (const c of crds) byName.set(((c as { metadata?: { name?: string } }).metadata?.name) ?? '', c);
  return { registry: compileCrds(crds), byName };
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
    return { agree: false, reason: `expected error ${JSON.stringify(expectedError)}, got ${JSON.stringify(messages)}; notEvaluated ${JSON.stringify(result.notEvaluated.map(formatFieldError))}` };
  }
  if (messages.length > 0) return { agree: false, reason: `unexpected errors: ${JSON.stringify(messages)}` };
  if (c.expected !== undefined) {
    const want = JSON.stringify(yaml.load(c.expected));
    const got = JSON.stringify(stripMeta(result.defaulted));
    if (!deepEqualJson(JSON.parse(want), JSON.parse(got))) return { agree: false, reason: `defaulted object differs:\n want ${want}\n got  ${got}` };
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

/** Run every onCreate/onUpdate case of every suite; returns one outcome per case. */
export function runSuites(): CaseOutcome[] {
  const { registry } = loadCrds();
  const dir = join(SHARED_DIR, 'crd-tests');
  const out: CaseOutcome[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.testsuite.yaml')).sort()) {
    const suite = yaml.load(readFileSync(join(dir, file), 'utf8')) as Suite;
    for (const c of suite.tests.onCreate ?? []) {
      const result = validateObject(registry, withName(yaml.load(c.initial)));
      out.push({ suite: file, phase: 'onCreate', name: c.name, ...judge(result, c) });
    }
    for (const c of suite.tests.onUpdate ?? []) {
      const initial = withName(yaml.load(c.initial));
      const created = validateObject(registry, initial);
      if (created.errors.length > 0) {
        out.push({ suite: file, phase: 'onUpdate', name: c.name, agree: false, reason: `initial object rejected: ${created.errors.map(formatFieldError).join('; ')}` });
        continue;
      }
      const result = validateObject(registry, withName(yaml.load(c.updated ?? c.initial)), { old: created.defaulted as object });
      out.push({ suite: file, phase: 'onUpdate', name: c.name, ...judge(result, c) });
    }
  }
  return out;
}

/** `suite: agreeing/total` lines plus the overall figure and each disagreement. */
export function summarize(outcomes: CaseOutcome[]): string {
  const bySuite = new Map<string, CaseOutcome[]>();
  for (const o of outcomes) bySuite.set(o.suite, [...(bySuite.get(o.suite) ?? []), o]);
  const lines = [...bySuite].map(([s, os]) => `${s}: ${os.filter((o) => o.agree).length}/${os.length}`);
  lines.push(`TOTAL: ${outcomes.filter((o) => o.agree).length}/${outcomes.length}`);
  for (const o of outcomes.filter((x) => !x.agree)) lines.push(`DISAGREE ${o.suite} ${o.phase} "${o.name}": ${o.reason}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!sharedAvailable()) {
    console.log(`skipped: HyperShift CRD suites not found under ${SHARED_DIR}`);
  } else {
    const outcomes = runSuites();
    console.log(summarize(outcomes));
    const agreeing = outcomes.filter((o) => o.agree).length;
    const { emit } = await import('./lib.ts');
    emit({ bench: 'validate', metric: 'agreement with HyperShift CRD suites', value: agreeing, unit: `of ${outcomes.length} cases`, target: '100%', met: agreeing === outcomes.length });
  }
}
