import { describe, expect, it } from 'vitest';
import { compileCrds, validateObject } from '../../../src/core/validate/index.ts';
import { check, crdFor, widget } from './helpers.ts';

describe('structural schema keywords', () => {
  it('type mismatch is TypeInvalid worded as kube-openapi does', () => {
    const r = check({ type: 'object', properties: { replicas: { type: 'integer' } } }, { replicas: 'three' });
    expect(r.messages).toContain('spec.replicas: Invalid value: "three": spec.replicas in body must be of type integer: "string"');
  });

  it('integer rejects fractional numbers, number accepts them', () => {
    const s = { type: 'object', properties: { i: { type: 'integer' }, n: { type: 'number' } } };
    expect(check(s, { i: 1.5, n: 1.5 }).messages[0]).toContain('must be of type integer: "number"');
    expect(check(s, { i: 2, n: 1.5 }).errors).toEqual([]);
  });

  it('required reports the missing child path', () => {
    const r = check({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } }, {});
    expect(r.messages).toContain('spec.name: Required value');
  });

  it('enum is Unsupported value with quoted supported values', () => {
    const r = check({ type: 'object', properties: { p: { type: 'string', enum: ['A', 'B'] } } }, { p: 'C' });
    expect(r.messages).toContain('spec.p: Unsupported value: "C": supported values: "A", "B"');
  });

  it('pattern uses RE2 semantics (escaped dash, unanchored)', () => {
    const s = { type: 'object', properties: { p: { type: 'string', pattern: '[a-z0-9-_\\.]{3}' } } };
    expect(check(s, { p: 'xx-_.' }).errors).toEqual([]);
    expect(check(s, { p: 'A!' }).messages[0]).toBe('spec.p: Invalid value: "A!": spec.p in body should match \'[a-z0-9-_\\.]{3}\'');
  });

  it('minLength/maxLength count characters, not bytes', () => {
    const s = { type: 'object', properties: { p: { type: 'string', minLength: 2, maxLength: 3 } } };
    expect(check(s, { p: 'äöü' }).errors).toEqual([]);
    expect(check(s, { p: 'äöüß' }).messages).toContain('spec.p: Too long: may not be more than 3 bytes');
    expect(check(s, { p: 'ä' }).messages).toContain('spec.p: Invalid value: "ä": spec.p in body should be at least 2 chars long');
  });

  it('minimum/maximum including exclusive bounds', () => {
    const s = { type: 'object', properties: { n: { type: 'integer', minimum: 1, maximum: 5, exclusiveMaximum: true } } };
    expect(check(s, { n: 5 }).messages[0]).toContain('spec.n in body should be less than 5');
    expect(check(s, { n: 0 }).messages[0]).toContain('spec.n in body should be greater than or equal to 1');
    expect(check(s, { n: 4 }).errors).toEqual([]);
  });

  it('minItems/maxItems and min/maxProperties', () => {
    const s = {
      type: 'object',
      properties: {
        l: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
        m: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 1, minProperties: 1 },
      },
    };
    expect(check(s, { l: ['a', 'b', 'c'] }).messages).toContain('spec.l: Too many: 3: must have at most 2 items');
    expect(check(s, { l: [] }).messages).toContain('spec.l: Invalid value: 0: spec.l in body should have at least 1 items');
    expect(check(s, { m: { a: 'x', b: 'y' } }).messages).toContain('spec.m: Too many: 2: must have at most 1 item');
    expect(check(s, { m: {} }).messages[0]).toContain('should have at least 1 properties');
  });

  it('formats: date-time, uri, and ignored int32', () => {
    const s = { type: 'object', properties: { t: { type: 'string', format: 'date-time' }, i: { type: 'integer', format: 'int32' } } };
    expect(check(s, { t: '2024-01-02T03:04:05Z', i: 2 ** 40 }).errors).toEqual([]);
    expect(check(s, { t: 'yesterday' }).messages[0]).toBe(
      'spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday"',
    );
  });

  it('nullable allows null; non-nullable nulls are pruned, or replaced by the default', () => {
    const s = {
      type: 'object',
      properties: { a: { type: 'string', nullable: true }, b: { type: 'string' }, c: { type: 'string', default: 'x' } },
    };
    const r = check(s, { a: null, b: null, c: null });
    expect(r.errors).toEqual([]);
    expect((r.defaulted as { spec: unknown }).spec).toEqual({ a: null, c: 'x' });
  });

  it('x-kubernetes-int-or-string accepts both, nothing else', () => {
    const s = { type: 'object', properties: { p: { 'x-kubernetes-int-or-string': true } } };
    expect(check(s, { p: 3 }).errors).toEqual([]);
    expect(check(s, { p: '50%' }).errors).toEqual([]);
    expect(check(s, { p: true }).messages[0]).toContain('must be of type integer,string: "boolean"');
  });

  it('unknown fields are pruned with a warning, never an error; preserve-unknown-fields keeps them', () => {
    const s = {
      type: 'object',
      properties: { known: { type: 'string' }, free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
    };
    const r = check(s, { known: 'a', extra: 1, free: { anything: [1] } });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['unknown field "spec.extra"']);
    expect((r.defaulted as { spec: unknown }).spec).toEqual({ known: 'a', free: { anything: [1] } });
  });

  it('embedded resources keep apiVersion/kind/metadata', () => {
    const s = {
      type: 'object',
      properties: { tpl: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } } },
    };
    const r = check(s, { tpl: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, junk: 1 } });
    expect((r.defaulted as { spec: { tpl: unknown } }).spec.tpl).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } });
  });

  it('list-type set and map reject duplicates', () => {
    const s = {
      type: 'object',
      properties: {
        set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        map: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } } },
        },
      },
    } as const;
    expect(check(s as never, { set: ['a', 'b', 'a'] }).messages).toContain('spec.set[2]: Duplicate value: "a"');
    expect(
      check(s as never, {
        map: [
          { name: 'x', v: 1 },
          { name: 'x', v: 2 },
        ],
      }).messages,
    ).toContain('spec.map[1]: Duplicate value: {"name":"x"}');
    expect(check(s as never, { map: [{ name: 'x' }, { name: 'y' }] }).errors).toEqual([]);
  });

  it('defaults apply top-down, including nested defaults of defaulted objects', () => {
    const s = {
      type: 'object',
      properties: { net: { type: 'object', default: {}, properties: { type: { type: 'string', default: 'OVN' } } } },
    };
    const r = check(s, {});
    expect((r.defaulted as { spec: unknown }).spec).toEqual({ net: { type: 'OVN' } });
  });

  it("blocking schema errors skip CEL with kube's note", () => {
    const s = {
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string' } },
      'x-kubernetes-validations': [{ rule: 'false', message: 'never' }],
    };
    const r = check(s, {});
    expect(r.messages).toEqual([
      'spec.a: Required value',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });

  it('ratcheting: unchanged invalid values are tolerated on update, changed ones are not', () => {
    const s = { type: 'object', properties: { a: { type: 'string', maxLength: 2 }, b: { type: 'string' } } };
    expect(check(s, { a: 'long', b: 'new' }, { oldSpec: { a: 'long', b: 'old' } }).errors).toEqual([]);
    expect(check(s, { a: 'longer' }, { oldSpec: { a: 'long' } }).messages[0]).toBe('spec.a: Too long: may not be more than 2 bytes');
    const strict = check(s, { a: 'long', b: 'new' }, { oldSpec: { a: 'long', b: 'old' }, ratcheting: false });
    expect(strict.messages[0]).toBe('spec.a: Too long: may not be more than 2 bytes');
  });

  it('reports crdFound=false for unknown kinds', () => {
    const registry = compileCrds([crdFor({ type: 'object' })]);
    expect(validateObject(registry, { ...widget({}), kind: 'Gadget' }).crdFound).toBe(false);
    expect(validateObject(registry, widget({})).crdFound).toBe(true);
  });
});
