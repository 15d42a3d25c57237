/**
 * HyperShift's own CRD validation suites (openshift/api schema-checker format) run through
 * the offline validator: every case must agree (error containing expectedError exactly when
 * one is expected; for success cases with `expected`, the defaulted object must match), and
 * no suite file may be malformed. Duplicated keys are printed with what last-key-wins drops.
 * The suites are read from ../shared relative to the repository root and never copied.
 */
import { describe, expect, it } from 'vitest';
import { SHARED_DIR, runSuites, sharedAvailable, summarize } from '../../bench/crd-agreement.ts';

const available = sharedAvailable();
if (!available) console.warn(`skipping CRD suites: ${SHARED_DIR} not found`);

describe.skipIf(!available)('HyperShift CRD test suites', () => {
  const run = available ? runSuites() : { suites: [], outcomes: [] };
  const { outcomes } = run;

  it('found cases for every suite phase', () => {
    expect(outcomes.some((o) => o.phase === 'onCreate')).toBe(true);
    expect(outcomes.some((o) => o.phase === 'onUpdate')).toBe(true);
  });

  it('reads every suite file (none malformed)', () => {
    expect(run.suites.filter((s) => s.status === 'malformed').map((s) => `${s.file}: ${s.problem}`)).toEqual([]);
  });

  it('agrees with every case (agreement printed per suite)', () => {
    console.log(summarize(run));
    const disagreements = outcomes.filter((o) => !o.agree).map((o) => `${o.suite} ${o.phase} "${o.name}": ${o.reason}`);
    expect(disagreements).toEqual([]);
  });

  for (const o of outcomes) {
    it(`${o.suite} ${o.phase}: ${o.name}`, () => {
      expect(o.reason).toBe('');
      expect(o.agree).toBe(true);
    });
  }
});
