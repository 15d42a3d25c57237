import { describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/core/validate/index.ts';
import { check } from './helpers.ts';

const withRule = (s: Schema, rule: string, extra: Record<string, unknown> = {}): Schema => ({
  ...s,
  'x-kubernetes-validations': [{ rule, ...extra }],
});

describe('CEL x-kubernetes-validations', () => {
  it('self is the node value; failure uses message and the schema type as value', () => {
    const s = withRule({ type: 'object', properties: { a: { type: 'string' } } }, "self.a == 'x'", { message: 'a must be x' });
    expect(check(s, { a: 'x' }).errors).toEqual([]);
    expect(check(s, { a: 'y' }).messages).toEqual(['spec: Invalid value: "object": a must be x']);
  });

  it('default message is "failed rule: <rule>"', () => {
    const s = withRule({ type: 'string' }, "self != 'bad'");
    expect(check({ type: 'object', properties: { p: s } }, { p: 'bad' }).messages).toEqual([
      'spec.p: Invalid value: "string": failed rule: self != \'bad\'',
    ]);
  });

  it('has() distinguishes absent properties; integers are CEL ints', () => {
    const s = withRule(
      { type: 'object', properties: { min: { type: 'integer' }, max: { type: 'integer' } } },
      '!has(self.max) || self.max >= self.min && type(self.max) == int',
    );
    expect(check(s, { min: 1 }).errors).toEqual([]);
    expect(check(s, { min: 3, max: 2 }).errors).toHaveLength(1);
    expect(check(s, { min: 1, max: 2 }).errors).toEqual([]);
  });

  it('list-typed nodes get self as a list; macros work', () => {
    const s = {
      type: 'object',
      properties: {
        l: withRule(
          { type: 'array', items: { type: 'string' } },
          "self.all(x, x.startsWith('a')) && self.exists_one(x, x == 'ab') && self.filter(x, x.size() > 1).map(x, x + '!').size() == 1",
        ),
      },
    } as Schema;
    expect(check(s, { l: ['a', 'ab'] }).errors).toEqual([]);
    expect(check(s, { l: ['a', 'b'] }).errors).toHaveLength(1);
  });

  it('matches() uses RE2 semantics (escaped dash inside classes, \\s is ASCII)', () => {
    const s = {
      type: 'object',
      properties: { p: withRule({ type: 'string' }, "self.matches('^[a-z0-9-_\\\\.]+$') && !self.matches('\\\\s')") },
    } as Schema;
    expect(check(s, { p: 'a-b_c.d' }).errors).toEqual([]);
    expect(check(s, { p: 'a b' }).errors).toHaveLength(1);
    const ws = { type: 'object', properties: { p: withRule({ type: 'string' }, "!self.matches('\\\\s')") } } as Schema;
    expect(check(ws, { p: 'a\u00a0b' }).errors).toEqual([]);
    expect(check(ws, { p: 'a\tb' }).errors).toHaveLength(1);
  });

  it('messageExpression, reason and fieldPath shape the error', () => {
    const s = withRule({ type: 'object', properties: { a: { type: 'string' } } }, "self.a != 'no'", {
      messageExpression: "'a was ' + self.a",
      reason: 'FieldValueForbidden',
      fieldPath: '.a',
    });
    expect(check(s, { a: 'no' }).messages).toEqual(['spec.a: Forbidden: a was no']);
  });

  it('messageExpression failing falls back to message', () => {
    const s = withRule({ type: 'object', properties: { a: { type: 'string' } } }, 'false', {
      message: 'plain',
      messageExpression: 'self.missing',
    });
    expect(check(s, { a: 'x' }).messages).toEqual(['spec: Invalid value: "object": plain']);
  });

  it('transition rules run only on update with a correlated old value', () => {
    const s = {
      type: 'object',
      properties: { id: withRule({ type: 'string' }, 'self == oldSelf', { message: 'id is immutable' }) },
    } as Schema;
    expect(check(s, { id: 'a' }).errors).toEqual([]);
    expect(check(s, { id: 'b' }, { oldSpec: { id: 'a' } }).messages).toEqual(['spec.id: Invalid value: "string": id is immutable']);
    expect(check(s, { id: 'b' }, { oldSpec: {} }).errors).toEqual([]);
  });

  it('optionalOldSelf evaluates on create with oldSelf as an optional', () => {
    const s = {
      type: 'object',
      properties: {
        id: withRule({ type: 'string' }, "oldSelf.hasValue() ? self == oldSelf.value() : self.startsWith('new')", {
          optionalOldSelf: true,
        }),
      },
    } as Schema;
    expect(check(s, { id: 'old' }).errors).toHaveLength(1);
    expect(check(s, { id: 'newer' }).errors).toEqual([]);
    expect(check(s, { id: 'x' }, { oldSpec: { id: 'x' } }).errors).toEqual([]);
  });

  it('map lists correlate items by key; set lists do not', () => {
    const item = {
      type: 'object',
      properties: { name: { type: 'string' }, v: withRule({ type: 'string' }, 'self == oldSelf', { message: 'v immutable' }) },
    };
    const s = {
      type: 'object',
      properties: {
        m: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: item },
        a: { type: 'array', 'x-kubernetes-list-type': 'atomic', items: item },
      },
    } as Schema;
    const old = {
      m: [
        { name: 'a', v: '1' },
        { name: 'b', v: '2' },
      ],
      a: [{ name: 'a', v: '1' }],
    };
    expect(
      check(
        s,
        {
          m: [
            { name: 'b', v: '2' },
            { name: 'a', v: '1' },
          ],
          a: [{ name: 'a', v: '9' }],
        },
        { oldSpec: old },
      ).errors,
    ).toEqual([]);
    expect(check(s, { m: [{ name: 'b', v: '3' }], a: [] }, { oldSpec: old }).messages).toEqual([
      'spec.m[0].v: Invalid value: "string": v immutable',
    ]);
  });

  it('defaults are applied before CEL evaluation', () => {
    const s = withRule({ type: 'object', properties: { mode: { type: 'string', default: 'Auto' } } }, "self.mode == 'Auto'");
    expect(check(s, {}).errors).toEqual([]);
  });

  it('kube runtime errors (no such key) are validation errors', () => {
    const s = withRule({ type: 'object', properties: { a: { type: 'string' } } }, "self.a == 'x'");
    expect(check(s, {}).messages[0]).toMatch(/^spec: Invalid value: "object": no such key: a evaluating rule: self\.a == 'x'$/);
  });

  it('unsupported functions and parse errors are reported as not evaluated, never as passes', () => {
    const s = {
      type: 'object',
      properties: { p: withRule({ type: 'string' }, 'self.noSuchFunction()'), q: withRule({ type: 'string' }, 'self ==') },
    } as Schema;
    const r = check(s, { p: 'x', q: 'y' });
    expect(r.errors).toEqual([]);
    expect(r.notEvaluated.map((e) => e.path)).toEqual(['spec.p', 'spec.q']);
    expect(r.notEvaluated[0]?.message).toContain('self.noSuchFunction()');
  });

  it('ratcheting skips non-transition rules on unchanged values', () => {
    const s = { type: 'object', properties: { p: withRule({ type: 'string' }, "self != 'bad'"), q: { type: 'string' } } } as Schema;
    expect(check(s, { p: 'bad', q: '2' }, { oldSpec: { p: 'bad', q: '1' } }).errors).toEqual([]);
    expect(check(s, { p: 'bad' }, { oldSpec: { p: 'worse' } }).errors).toHaveLength(1);
  });
});
