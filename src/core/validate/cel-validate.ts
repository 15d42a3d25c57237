/**
 * Evaluation of x-kubernetes-validations rules over a pruned, defaulted object, as the
 * apiextensions-apiserver CEL validator does:
 *  - `self` is the value at the node carrying the rule (a list for list-typed nodes);
 *  - transition rules (referencing oldSelf) run only when a correlated old value exists,
 *    unless optionalOldSelf, where oldSelf is an optional;
 *  - with ratcheting, rules without oldSelf are skipped on values unchanged since old;
 *  - rules are not evaluated on null values.
 * A rule this evaluator cannot compile or run goes to `notEvaluated`, never counted as a pass.
 */
import { Optional } from '@marcbachmann/cel-js';
import { serialize } from '@marcbachmann/cel-js/serialize';
import type { ASTNode } from '@marcbachmann/cel-js/serialize';
import { celEnvironment, compileExpression, firstLine } from './cel-env.ts';
import { kubeRuntimeMessage } from './cel-errors.ts';
import { toCel } from './cel-values.ts';
import { oldListItem, oldProperty, unchanged } from './correlate.ts';
import type { OldRef } from './correlate.ts';
import { childPath, indexPath, keyPath } from './path.ts';
import { isObject } from './types.ts';
import type { FieldError, Schema, ValidationRule } from './types.ts';

export interface CelContext {
  errors: FieldError[];
  notEvaluated: FieldError[];
  ratcheting: boolean;
}

/** kube prints the schema type as the bad value of CEL errors (`Invalid value: "object"`). */
function schemaType(s: Schema): string {
  return s['x-kubernetes-int-or-string'] === true ? '' : (s.type ?? '');
}

export function validateCel(v: unknown, s: Schema, path: string, old: OldRef, ctx: CelContext): void {
  if (v === null || v === undefined) return;
  const rules = s['x-kubernetes-validations'] ?? [];
  if (rules.length > 0) {
    const isUnchanged = ctx.ratcheting && unchanged(v, old);
    for (const rule of rules) evaluateRule(rule, v, s, path, old, isUnchanged, ctx);
  }
  if (Array.isArray(v) && s.items) {
    const items = s.items;
    v.forEach((item, i) => validateCel(item, items, indexPath(path, i), oldListItem(old, s, item), ctx));
  } else if (isObject(v)) {
    const addl = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
    for (const [k, child] of Object.entries(v)) {
      const prop = s.properties?.[k];
      if (prop) validateCel(child, prop, childPath(path, k), oldProperty(old, k), ctx);
      else if (addl) validateCel(child, addl, keyPath(path, k), oldProperty(old, k), ctx);
    }
  }
}

function evaluateRule(rule: ValidationRule, v: unknown, s: Schema, path: string, old: OldRef, isUnchanged: boolean, ctx: CelContext): void {
  const compiled = compileExpression(rule.rule);
  const errPath = rule.fieldPath ? joinFieldPath(path, rule.fieldPath) : path;
  if (compiled.usesOldSelf && !old.has && rule.optionalOldSelf !== true) return;
  if (!compiled.usesOldSelf && isUnchanged) return;
  if (!compiled.ok) {
    ctx.notEvaluated.push(notEvaluated(errPath, s, rule, compiled.reason));
    return;
  }
  const vars = {
    self: toCel(v, s),
    oldSelf:
      rule.optionalOldSelf === true
        ? old.has && old.value !== null
          ? Optional.of(toCel(old.value, s))
          : Optional.none()
        : old.has
          ? toCel(old.value, s)
          : null,
  };
  let result: unknown;
  try {
    result = compiled.program(vars);
  } catch (err) {
    const runtime = kubeRuntimeMessage(err, (node) => operandSize(node, vars));
    if (runtime !== undefined) {
      ctx.errors.push({
        path: errPath,
        type: 'Invalid value',
        value: schemaType(s),
        message: `${runtime} evaluating rule: ${ruleErrorString(rule)}`,
      });
    } else {
      ctx.notEvaluated.push(notEvaluated(errPath, s, rule, `evaluation error: ${firstLine(err)}`));
    }
    return;
  }
  if (typeof result !== 'boolean') {
    ctx.notEvaluated.push(notEvaluated(errPath, s, rule, `rule returned ${typeof result}, not bool`));
    return;
  }
  if (!result) ctx.errors.push(ruleError(rule, errPath, s, vars));
}

function ruleError(rule: ValidationRule, path: string, s: Schema, vars: Record<string, unknown>): FieldError {
  // ruleMessageOrDefault: the message trimmed, or `failed rule: <rule>`.
  let message = rule.message !== undefined && rule.message !== '' ? rule.message.trim() : `failed rule: ${ruleErrorString(rule)}`;
  if (rule.messageExpression) {
    // kube falls back to message (or the default) when messageExpression fails or is empty.
    const compiled = compileExpression(rule.messageExpression);
    if (compiled.ok) {
      try {
        const m: unknown = compiled.program(vars);
        if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) message = m;
      } catch {
        /* fall back */
      }
    }
  }
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return { path, type: 'Forbidden', message };
    case 'FieldValueRequired':
      return { path, type: 'Required value', message };
    case 'FieldValueDuplicate':
      return { path, type: 'Duplicate value', message, value: schemaType(s) };
    default:
      return { path, type: 'Invalid value', message, value: schemaType(s) };
  }
}

function notEvaluated(path: string, s: Schema, rule: ValidationRule, reason: string): FieldError {
  return { path, type: 'Invalid value', value: schemaType(s), message: `rule not evaluated (${reason}): ${rule.rule}` };
}

/** kube names a rule in runtime errors by its message when it has one (ruleErrorString). */
function ruleErrorString(rule: ValidationRule): string {
  return rule.message !== undefined && rule.message !== '' ? rule.message.trim() : rule.rule.trim();
}

/**
 * The size of the list operand of a failed `list[index]` expression, by evaluating that operand
 * alone with the rule's variables; undefined when it cannot be (comprehension variables).
 */
function operandSize(node: unknown, vars: Record<string, unknown>): number | undefined {
  const operand = (node as { op?: unknown; args?: unknown[] } | null)?.args?.[0];
  if ((node as { op?: unknown } | null)?.op !== '[]' || operand === null || typeof operand !== 'object') return undefined;
  try {
    const list: unknown = celEnvironment().parse(serialize(operand as ASTNode))(vars);
    return Array.isArray(list) ? list.length : undefined;
  } catch {
    return undefined;
  }
}

/** Append a rule's fieldPath (`.a.b`, `['x.y']`, `[0]`) to the node path, kube style. */
export function joinFieldPath(base: string, fieldPath: string): string {
  let out = base;
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fieldPath)) !== null) {
    if (m[1] !== undefined) out = childPath(out, m[1]);
    else if (m[2] !== undefined) out = childPath(out, m[2]);
    else out = indexPath(out, Number(m[3]));
  }
  return out;
}
