/**
 * CEL runtime errors worded as kube-apiserver (cel-go) words them, and the built-ins replaced
 * by cel-go-faithful versions (int/uint conversions, string offsets). Each rule runs through the
 * validator on a Widget whose spec has a list `a` = [1], a map `m`, a string `s` and an int `i`.
 */
import { describe, expect, it } from 'vitest';
import type { Schema } from '../../../src/core/validate/index.ts';
import { kubeRuntimeMessage } from '../../../src/core/validate/cel-errors.ts';
import { rewriteRule } from '../../../src/core/validate/cel-rewrite.ts';
import { check } from './helpers.ts';

const SPEC = { a: [1], m: { k: 'v' }, s: 'héllo', i: Number.MAX_SAFE_INTEGER, d: 1.5 };

function run(rule: string, extra: Record<string, unknown> = {}): { messages: string[]; notEvaluated: string[] } {
  const s = {
    type: 'object',
    properties: {
      a: { type: 'array', items: { type: 'integer' } },
      m: { type: 'object', additionalProperties: { type: 'string' } },
      s: { type: 'string' },
      i: { type: 'integer' },
      d: { type: 'number' },
    },
    'x-kubernetes-validations': [{ rule, ...extra }],
  } as Schema;
  const r = check(s, SPEC);
  return { messages: r.messages, notEvaluated: r.notEvaluated.map((e) => e.message) };
}

/** The one error a rule raises, without the `spec: Invalid value: "object": ` prefix and rule suffix. */
function runtimeError(rule: string): string {
  const { messages, notEvaluated } = run(rule);
  expect(notEvaluated).toEqual([]);
  expect(messages).toHaveLength(1);
  const m = /^spec: Invalid value: "object": (.*) evaluating rule: (.*)$/.exec(messages[0] ?? '');
  expect(m?.[2]).toBe(rule);
  return m?.[1] ?? '';
}

describe('runtime errors worded as cel-go', () => {
  it.each([
    ['self.a[2] == 1', "index '2' out of range in list size '1'"],
    ['self.a[-1] == 1', "index '-1' out of range in list size '1'"],
    ['self.a[size(self.a) - 2] == 1', "index '-1' out of range in list size '1'"],
    ['[[1, 2]][0][5] == 1', "index '5' out of range in list size '2'"],
    ["self.m['x'] == 'v'", 'no such key: x'],
    ["self.m.nope == 'v'", 'no such key: nope'],
    ['self.i / 0 == 1', 'division by zero'],
    ['self.i % 0 == 1', 'modulus by zero'],
    ['self.i * 2000 > 0', 'integer overflow'],
    ['-self.i * 2000 < 0', 'integer overflow'],
    ['9223372036854775807 + 1 > 0', 'integer overflow'],
    ['1u - 2u > 0u', 'unsigned integer overflow'],
    ['[9223372036854775807, 1].sum() > 0', 'integer overflow'],
    ['int(1e20) > 0', 'integer overflow'],
    ['int(-9223372036854775808.0) < 0', 'integer overflow'],
    ['int(18446744073709551615u) > 0', 'integer overflow'],
    ["int('12a') > 0", "type conversion error from 'string' to 'int'"],
    ["int('0x10') > 0", "type conversion error from 'string' to 'int'"],
    ["int('9223372036854775808') > 0", "type conversion error from 'string' to 'int'"],
    ['uint(-1) > 0u', 'unsigned integer overflow'],
    ['uint(-0.5) > 0u', 'unsigned integer overflow'],
    ["uint('-1') > 0u", "type conversion error from 'string' to 'uint'"],
    ["double('x') > 0.0", "type conversion error from 'string' to 'double'"],
    ["self.s.charAt(6) == ''", 'index out of range: 6'],
    ["self.s.substring(6) == ''", 'index out of range: 6'],
    ["self.s.substring(-1, 2) == ''", 'index out of range: -1'],
    ["self.s.substring(1, 9) == ''", 'index out of range: 9'],
    ["self.s.substring(3, 1) == ''", 'invalid substring range. start: 3, end: 1'],
    ["self.s.indexOf('l', -1) == 0", 'index out of range: -1'],
    ["self.s.lastIndexOf('l', -2) == 0", 'index out of range: -2'],
    ['[].min() == 1', 'min called on empty list'],
    ['self.a.filter(x, x > 5).max() == 1', 'max called on empty list'],
    ['[1, 2].slice(1, 5).size() == 1', 'cannot slice(1, 5), list is length 2'],
    ['[1, 2].slice(-1, 1).size() == 1', 'cannot slice(-1, 1), negative indexes not supported'],
    ['[1, 2].slice(2, 1).size() == 1', 'cannot slice(2, 1), start index must be less than or equal to end index'],
    ["quantity('1 Gi').isInteger()", "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
  ])('%s → %s', (rule, message) => {
    expect(runtimeError(rule)).toBe(message);
  });

  it('inside a comprehension the list size of a negative index is left out rather than guessed', () => {
    expect(runtimeError('self.a.all(x, [x][-3] == 1)')).toBe("index '-3' out of range in list");
  });

  it("names the rule by its message when it has one, as kube's ruleErrorString does", () => {
    expect(run('self.a[3] == 1', { message: '  a needs four items ' }).messages).toEqual([
      `spec: Invalid value: "object": index '3' out of range in list size '1' evaluating rule: a needs four items`,
    ]);
  });

  it("failed rules are worded as kube's ruleMessageOrDefault: message trimmed, else the trimmed rule", () => {
    expect(run('  self.a.size() > 3 ', { message: ' needs four ' }).messages).toEqual(['spec: Invalid value: "object": needs four']);
    expect(run('  self.a.size() > 3 ').messages).toEqual(['spec: Invalid value: "object": failed rule: self.a.size() > 3']);
  });

  it('errors kube would not raise stay gaps of the evaluator (not evaluated, never passes or errors)', () => {
    const r = run("self.s + 1 == 'x'");
    expect(r.messages).toEqual([]);
    expect(r.notEvaluated).toHaveLength(1);
    expect(kubeRuntimeMessage({ code: 'no_such_overload', message: 'no such overload' })).toBeUndefined();
    expect(kubeRuntimeMessage(new Error('boom'))).toBeUndefined();
  });
});

describe('built-ins with cel-go semantics', () => {
  it.each([
    "self.s.indexOf('l') == 2",
    "self.s.indexOf('l', 3) == 3",
    "self.s.indexOf('l', 20) == -1",
    "self.s.indexOf('', 20) == 5",
    "self.s.lastIndexOf('l') == 3",
    "self.s.lastIndexOf('l', 2) == 2",
    "self.s.lastIndexOf('l', 20) == -1",
    "self.s.lastIndexOf('') == 5",
    "'😀ab'.indexOf('a') == 1",
    "'😀ab'.substring(1) == 'ab'",
    "self.s.substring(1, 3) == 'él'",
    "self.s.charAt(5) == ''",
    'self.a.indexOf(1) == 0 && self.a.lastIndexOf(2) == -1',
    "int('+12') == 12 && int('-007') == -7",
    'int(2.9) == 2 && int(-2.9) == -2',
    "uint('18446744073709551615') == 18446744073709551615u",
    'int(5u) == 5',
    "int(timestamp('2020-01-01T00:00:00Z')) == 1577836800",
    "int(duration('-1s')) == -1000000000",
    "type(int('1')) == int && type(uint(1)) == uint",
  ])('%s holds', (rule) => {
    expect(run(rule)).toEqual({ messages: [], notEvaluated: [] });
  });

  it('the rewriter routes these calls to the cel-go versions, and nothing else', () => {
    expect(
      rewriteRule("int(self.x) + uint(1) > 0 && self.s.indexOf('int(') >= self.l.lastIndexOf(1) && self.s.substring(1) != ''").source,
    ).toBe(
      "kube_int(self.x) + kube_uint(1) > 0 && self.s.kube_indexOf('int(') >= self.l.kube_lastIndexOf(1) && self.s.kube_substring(1) != ''",
    );
    expect(rewriteRule('type(self.x) == int && self.int == 1 && has(self.substring)').source).toBe(
      'type(self.x) == int && self.int == 1 && has(self.substring)',
    );
  });
});
