/**
 * The CRD suite runner (bench/crd-agreement.ts) on small suite files written here: ratcheting
 * cases with initialCRDPatches, isolation of malformed files, and the two readings of
 * duplicated mapping keys. The suites' CRD is a one-version Widget with a bounded integer.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { runSuites, summarize } from '../../../bench/crd-agreement.ts';
import { applyCrdPatches, readYaml } from '../../../bench/crd-suite-files.ts';
import { crdFor } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const CRD = crdFor({
  type: 'object',
  properties: { size: { type: 'integer', maximum: 5 }, note: { type: 'string' } },
});

/** A temp dir with the Widget CRD and the given suite files (name → text). */
function layout(suites: Record<string, string>): { suites: string; crds: string } {
  const root = mkdtempSync(join(tmpdir(), 'crd-suites-'));
  dirs.push(root);
  const out = { suites: join(root, 'suites'), crds: join(root, 'crds') };
  mkdirSync(out.suites);
  mkdirSync(out.crds);
  writeFileSync(join(out.crds, 'widgets.crd.yaml'), yaml.dump(CRD));
  for (const [name, text] of Object.entries(suites)) writeFileSync(join(out.suites, name), text);
  return out;
}

const widget = (spec: string): string => `|\n      apiVersion: example.com/v1\n      kind: Widget\n      spec: ${spec}\n`;

const HEADER = 'apiVersion: apiextensions.k8s.io/v1\nname: widgets\ncrdName: widgets.example.com\n';

describe('initialCRDPatches (ratcheting cases)', () => {
  const removeMax =
    '    initialCRDPatches:\n    - op: remove\n      path: /spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/size/maximum\n';
  const suite = `${HEADER}tests:
  onUpdate:
  - name: an out-of-range size created before the maximum existed is kept on update
${removeMax}    initial: ${widget('{size: 10}')}    updated: ${widget('{size: 10, note: x}')}    expected: ${widget('{size: 10, note: x}')}
  - name: changing it to another out-of-range size is refused
${removeMax}    initial: ${widget('{size: 10}')}    updated: ${widget('{size: 11}')}    expectedError: "should be less than or equal to 5"
  - name: without the patch the initial object is refused
    initial: ${widget('{size: 10}')}    updated: ${widget('{size: 10, note: x}')}`;

  it('creates the initial object under the patched CRD and updates it under the real one', () => {
    const run = runSuites(layout({ 'w.testsuite.yaml': suite }));
    const [kept, refused, unpatched] = run.outcomes;
    expect(kept).toMatchObject({ phase: 'onUpdate', agree: true, reason: '' });
    expect(refused).toMatchObject({ agree: true, reason: '' });
    expect(unpatched?.agree).toBe(false);
    expect(unpatched?.reason).toMatch(
      /^initial object rejected: spec\.size: Invalid value: 10: spec\.size in body should be less than or equal to 5/,
    );
  });

  it('a patch that does not apply fails that case only, naming the patch', () => {
    const bad = suite.replace('/properties/size/maximum', '/properties/nothere/maximum');
    const run = runSuites(layout({ 'w.testsuite.yaml': bad }));
    expect(run.suites[0]?.status).toBe('ok');
    expect(run.outcomes[0]?.agree).toBe(false);
    expect(run.outcomes[0]?.reason).toMatch(/^runner error: initialCRDPatches\[0\] \(remove .*nothere\/maximum\): /);
    expect(run.outcomes[2]?.reason).toMatch(/^initial object rejected/);
  });

  it('paths take yaml-patch key=value segments to pick a list element', () => {
    const patched = applyCrdPatches(CRD, [
      { op: 'replace', path: '/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/properties/size/maximum', value: 50 },
    ]) as typeof CRD & {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { size: { maximum: number } } } } } } }[] };
    };
    expect(patched.spec.versions[0]?.schema.openAPIV3Schema.properties.spec.properties.size.maximum).toBe(50);
    expect(() => applyCrdPatches(CRD, [{ op: 'remove', path: '/spec/versions/name=v9/schema' }])).toThrow(
      /initialCRDPatches\[0\].*no element with name=v9/,
    );
    // the input is never modified
    expect(JSON.stringify(CRD)).toContain('"maximum":5');
  });
});

describe('every suite file on its own', () => {
  const good = `${HEADER}tests:\n  onCreate:\n  - name: small is fine\n    initial: ${widget('{size: 1}')}`;

  it('a malformed file is reported as such and the files after it still run', () => {
    const run = runSuites(
      layout({
        'a.testsuite.yaml': good,
        'b.testsuite.yaml': `${HEADER}tests:\n  onCreate:\n  - name: x\n   initial: bad-indent\n`,
        'c.testsuite.yaml': good.replace('crdName: widgets.example.com\n', ''),
        'd.testsuite.yaml': good.replace('widgets.example.com', 'gadgets.example.com'),
        'e.testsuite.yaml': good,
      }),
    );
    expect(run.suites.map((s) => [s.file, s.status])).toEqual([
      ['a.testsuite.yaml', 'ok'],
      ['b.testsuite.yaml', 'malformed'],
      ['c.testsuite.yaml', 'malformed'],
      ['d.testsuite.yaml', 'malformed'],
      ['e.testsuite.yaml', 'ok'],
    ]);
    expect(run.suites[1]?.problem).toMatch(/^not valid YAML: bad indentation of a sequence entry \(7:4\)$/);
    expect(run.suites[2]?.problem).toBe('missing required field `crdName`');
    expect(run.suites[3]?.problem).toBe('no CRD named gadgets.example.com among the CRDs');
    expect(run.outcomes.map((o) => `${o.suite}:${String(o.agree)}`)).toEqual(['a.testsuite.yaml:true', 'e.testsuite.yaml:true']);
    const text = summarize(run);
    expect(text).toContain('b.testsuite.yaml: MALFORMED, not run: not valid YAML');
    expect(text).toContain('MALFORMED suite files: 3');
  });

  it('a case whose document is not YAML disagrees alone', () => {
    const suite = `${HEADER}tests:\n  onCreate:\n  - name: broken\n    initial: "a: [1"\n  - name: fine\n    initial: ${widget('{size: 2}')}`;
    const run = runSuites(layout({ 'a.testsuite.yaml': suite }));
    expect(run.outcomes.map((o) => [o.name, o.agree])).toEqual([
      ['broken', false],
      ['fine', true],
    ]);
    expect(run.outcomes[0]?.reason).toMatch(/^initial is not valid YAML: /);
  });
});

describe('duplicated mapping keys', () => {
  it('strict reading refuses, last-key-wins keeps the last; each duplicate says what it drops', () => {
    const text = 'a: 1\nm:\n  k: first\n  "k": [1, 2]\n  k: third\nl:\n- x: 1\n  x: 2\n';
    const r = readYaml(text);
    if (!r.ok) throw new Error(r.error);
    expect(r.strictError).toBe('duplicated mapping key (4:3)');
    expect(r.value).toEqual({ a: 1, m: { k: 'third' }, l: [{ x: 2 }] });
    expect(r.duplicates).toEqual([
      { path: 'm.k', keptLine: 5, dropped: ['"first"', 'a list of 2 items'] },
      { path: 'l[0].x', keptLine: 8, dropped: ['1'] },
    ]);
    expect(readYaml('a: [1').ok).toBe(false);
    expect(readYaml('a: 1\nb: 2\n')).toEqual({ ok: true, value: { a: 1, b: 2 }, duplicates: [] });
  });

  it('a suite with a duplicated tests.onCreate runs as Go reads it, and reports the dropped cases', () => {
    const suite = `${HEADER}tests:
  onCreate:
  - name: dropped by last-key-wins
    initial: ${widget('{size: 1}')}  - name: also dropped
    initial: ${widget('{size: 2}')}  onCreate:
  - name: kept
    initial: ${widget('{size: 3}')}`;
    const run = runSuites(layout({ 'dup.testsuite.yaml': suite }));
    const [report] = run.suites;
    expect(report?.status).toBe('duplicate-keys');
    expect(report?.problem).toMatch(/^strict reading: duplicated mapping key \(\d+:3\)$/);
    expect(report?.duplicates).toEqual([{ path: 'tests.onCreate', keptLine: 16, dropped: ['a list of 2 items'] }]);
    expect(run.outcomes.map((o) => o.name)).toEqual(['kept']);
    expect(summarize(run)).toContain('  - tests.onCreate (kept at line 16): last-key-wins drops a list of 2 items');
  });

  it('duplicates inside a case document become notes of that case', () => {
    const suite = `${HEADER}tests:\n  onCreate:\n  - name: twice\n    initial: |\n      apiVersion: example.com/v1\n      kind: Widget\n      spec: {size: 9}\n      spec: {size: 1}\n`;
    const run = runSuites(layout({ 'a.testsuite.yaml': suite }));
    expect(run.outcomes[0]).toMatchObject({ agree: true, notes: ['initial: spec (kept at line 4): last-key-wins drops a mapping (size)'] });
  });
});
