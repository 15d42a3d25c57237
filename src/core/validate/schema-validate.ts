/**
 * Structural OpenAPI v3 validation as the apiextensions-apiserver performs it on a pruned
 * and defaulted custom resource, plus the x-kubernetes-list-type set/map uniqueness check.
 * Error paths and wording follow kube (see messages.ts). With ratcheting, subtrees equal to
 * their correlated old value are skipped (kube CRDValidationRatcheting).
 */
import { checkFormat } from './formats.ts';
import { childPath, indexPath, keyPath } from './path.ts';
import { Re2TranslationError, re2ToRegExp } from './re2.ts';
import { NO_OLD, deepEqual, mapKeyOf, oldListItem, oldProperty, unchanged } from './correlate.ts';
import type { OldRef } from './correlate.ts';
import { duplicate, inBody, invalid, notSupported, required, tooLong, tooMany, typeInvalid } from './messages.ts';
import { isObject } from './types.ts';
import type { FieldError, JsonObject, Schema } from './types.ts';

export interface SchemaContext {
  errors: FieldError[];
  notEvaluated: FieldError[];
  ratcheting: boolean;
}

function typeMatches(v: unknown, s: Schema): string | undefined {
  if (s['x-kubernetes-int-or-string'] === true) {
    return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)) ? undefined : 'integer,string';
  }
  switch (s.type) {
    case 'object':
      return isObject(v) ? undefined : 'object';
    case 'array':
      return Array.isArray(v) ? undefined : 'array';
    case 'string':
      return typeof v === 'string' ? undefined : 'string';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : 'integer';
    case 'number':
      return typeof v === 'number' ? undefined : 'number';
    default:
      return undefined;
  }
}

/** Validate `v` (never undefined) at `path` against `s`. */
export function validateSchema(v: unknown, s: Schema, path: string, old: OldRef, ctx: SchemaContext): void {
  if (ctx.ratcheting && unchanged(v, old)) return;
  if (v === null) {
    if (s.nullable !== true)
      ctx.errors.push(typeInvalid(path, v, s['x-kubernetes-int-or-string'] ? 'integer,string' : (s.type ?? 'object')));
    return;
  }
  const want = typeMatches(v, s);
  if (want !== undefined) {
    ctx.errors.push(typeInvalid(path, v, want));
    return;
  }
  if (s.enum && !s.enum.some((e) => deepEqual(e, v))) ctx.errors.push(notSupported(path, v, s.enum));
  if (typeof v === 'string') validateString(v, s, path, ctx);
  else if (typeof v === 'number') validateNumber(v, s, path, ctx);
  else if (Array.isArray(v)) validateArray(v, s, path, old, ctx);
  else if (isObject(v)) validateObjectNode(v, s, path, old, ctx);
  validateCombinators(v, s, path, ctx);
}

function validateString(v: string, s: Schema, path: string, ctx: SchemaContext): void {
  const len = [...v].length; // kube counts characters (runes), not bytes
  if (s.maxLength !== undefined && len > s.maxLength) ctx.errors.push(tooLong(path, s.maxLength));
  if (s.minLength !== undefined && len < s.minLength) {
    ctx.errors.push(invalid(path, v, inBody(path, `should be at least ${s.minLength} chars long`)));
  }
  if (s.pattern !== undefined) {
    try {
      if (!re2ToRegExp(s.pattern).test(v)) ctx.errors.push(invalid(path, v, inBody(path, `should match '${s.pattern}'`)));
    } catch (err) {
      if (!(err instanceof Re2TranslationError)) throw err;
      ctx.notEvaluated.push(invalid(path, v, `pattern not evaluated: ${err.message}`));
    }
  }
  if (s.format !== undefined) {
    const ok = checkFormat(s.format, v);
    if (ok === false) ctx.errors.push(invalid(path, v, inBody(path, `must be of type ${s.format}: ${JSON.stringify(v)}`)));
    if (ok === undefined) ctx.notEvaluated.push(invalid(path, v, `format ${s.format} not evaluated: not implemented`));
  }
}

function validateNumber(v: number, s: Schema, path: string, ctx: SchemaContext): void {
  if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
    const rel = s.exclusiveMaximum ? 'less than' : 'less than or equal to';
    ctx.errors.push(invalid(path, v, inBody(path, `should be ${rel} ${s.maximum}`)));
  }
  if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
    const rel = s.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
    ctx.errors.push(invalid(path, v, inBody(path, `should be ${rel} ${s.minimum}`)));
  }
  if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) {
    ctx.errors.push(invalid(path, v, inBody(path, `should be a multiple of ${s.multipleOf}`)));
  }
}

function validateArray(v: unknown[], s: Schema, path: string, old: OldRef, ctx: SchemaContext): void {
  if (s.maxItems !== undefined && v.length > s.maxItems) ctx.errors.push(tooMany(path, v.length, s.maxItems));
  if (s.minItems !== undefined && v.length < s.minItems) {
    ctx.errors.push(invalid(path, v.length, inBody(path, `should have at least ${s.minItems} items`)));
  }
  if (s.items) {
    const items = s.items;
    v.forEach((item, i) => validateSchema(item, items, indexPath(path, i), oldListItem(old, s, item), ctx));
  }
  validateListType(v, s, path, ctx);
}

/** x-kubernetes-list-type: set items are unique; map items are unique by their keys. */
function validateListType(v: unknown[], s: Schema, path: string, ctx: SchemaContext): void {
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    v.forEach((item, i) => {
      if (v.slice(0, i).some((prev) => deepEqual(prev, item))) ctx.errors.push(duplicate(indexPath(path, i), item));
    });
  } else if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const k = mapKeyOf(item, keys);
      if (k === undefined) return;
      if (seen.has(k)) {
        const keyObj: JsonObject = {};
        for (const name of keys) if (isObject(item) && name in item) keyObj[name] = item[name];
        ctx.errors.push(duplicate(indexPath(path, i), keyObj));
      }
      seen.add(k);
    });
  }
}

function validateObjectNode(v: JsonObject, s: Schema, path: string, old: OldRef, ctx: SchemaContext): void {
  const n = Object.keys(v).length;
  if (s.maxProperties !== undefined && n > s.maxProperties) ctx.errors.push(tooMany(path, n, s.maxProperties));
  if (s.minProperties !== undefined && n < s.minProperties) {
    ctx.errors.push(invalid(path, n, inBody(path, `should have at least ${s.minProperties} properties`)));
  }
  for (const r of s.required ?? []) {
    if (!(r in v)) ctx.errors.push(required(childPath(path, r)));
  }
  const addl = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
  for (const [k, child] of Object.entries(v)) {
    const prop = s.properties?.[k];
    if (prop) validateSchema(child, prop, childPath(path, k), oldProperty(old, k), ctx);
    else if (addl) validateSchema(child, addl, keyPath(path, k), oldProperty(old, k), ctx);
  }
}

/** allOf/anyOf/oneOf/not: value-validation-only sub-schemas (structural schema rule). */
function validateCombinators(v: unknown, s: Schema, path: string, ctx: SchemaContext): void {
  for (const sub of s.allOf ?? []) validateSchema(v, { ...sub, type: sub.type ?? s.type }, path, NO_OLD, ctx);
  const passes = (sub: Schema): boolean => {
    const probe: SchemaContext = { errors: [], notEvaluated: [], ratcheting: false };
    validateSchema(v, { ...sub, type: sub.type ?? s.type }, path, NO_OLD, probe);
    return probe.errors.length === 0;
  };
  if (s.anyOf && !s.anyOf.some(passes)) ctx.errors.push(invalid(path, v, inBody(path, 'must validate at least one schema (anyOf)')));
  if (s.oneOf && s.oneOf.filter(passes).length !== 1)
    ctx.errors.push(invalid(path, v, inBody(path, 'must validate one and only one schema (oneOf)')));
  if (s.not && passes(s.not)) ctx.errors.push(invalid(path, v, inBody(path, 'must not validate the schema (not)')));
}
