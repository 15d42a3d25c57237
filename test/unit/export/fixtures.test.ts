/** Every kind: the hand-written raw object cleans to the hand-written clean object. */
import { describe, expect, it } from 'vitest';
import { cleanObject, objectKey } from '../../../src/core/objects/clean.ts';
import { qualifiedKindOf } from '../../../src/core/objects/kinds.ts';
import { fixtureKinds, loadFixture } from './helpers.ts';

const kinds = fixtureKinds();
const exported = new Set(
  kinds.map((k) => loadFixture(k, 'raw')).map((o) => objectKey(qualifiedKindOf(o), o.metadata.namespace, o.metadata.name)),
);

describe('export fixtures raw → clean', () => {
  it('covers every kind the issue names', () => {
    expect(kinds).toEqual([
      'awscluster',
      'awsmachine',
      'awsmachinetemplate',
      'cluster',
      'configmap',
      'hostedcluster',
      'hostedcontrolplane',
      'machine',
      'machinedeployment',
      'machineset',
      'namespace',
      'nodepool',
      'secret',
    ]);
  });
  for (const kind of kinds) {
    it(`${kind}`, () => {
      const raw = loadFixture(kind, 'raw');
      const before = structuredClone(raw);
      const result = cleanObject(raw, { exported, keepRestoreUrl: false });
      expect(result.object).toEqual(loadFixture(kind, 'clean'));
      expect(result.warnings).toEqual([]);
      expect(raw).toEqual(before); // pure: the input is untouched
    });
  }
});
