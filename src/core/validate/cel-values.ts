/**
 * JSON value → CEL value, following the schema like kube's UnstructuredToVal:
 * integer → int (bigint); number → double; int-or-string → int or string; strings with
 * format date/date-time → timestamp, duration → duration, byte → bytes (when parseable);
 * objects, maps and lists recurse with their sub-schemas; schema-less (preserve-unknown /
 * dyn) values map integral JSON numbers to int, as kube's JSON decoding yields int64.
 */
import type { ParseResult } from '@marcbachmann/cel-js';
import { celEnvironment } from './cel-env.ts';
import { isDateTime } from './formats.ts';
import { isObject } from './types.ts';
import type { Schema } from './types.ts';

let durationProgram: ParseResult | undefined;

/** A Go duration string as a cel-js duration value (the package does not export its class). */
export function parseGoDuration(s: string): unknown {
  durationProgram ??= celEnvironment().parse('duration(self)');
  try {
    return durationProgram({ self: s });
  } catch {
    return undefined;
  }
}

function dynToCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(dynToCel);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dynToCel(x)]));
  return v;
}

export function toCel(v: unknown, s: Schema | undefined): unknown {
  if (v === null || v === undefined || s === undefined) return dynToCel(v);
  if (s['x-kubernetes-int-or-string'] === true) return dynToCel(v);
  if (typeof v === 'number') return s.type === 'number' ? v : Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === 'string') {
    if ((s.format === 'date-time' || s.format === 'date') && (isDateTime(v) || /^\d{4}-\d{2}-\d{2}$/.test(v))) return new Date(v);
    if (s.format === 'duration') return parseGoDuration(v) ?? v;
    if (s.format === 'byte' && /^[A-Za-z0-9+/]*={0,2}$/.test(v)) return Uint8Array.from(atob(v), (c) => c.charCodeAt(0));
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => toCel(x, s.items));
  if (isObject(v)) {
    const addl = isObject(s.additionalProperties) ? (s.additionalProperties as Schema) : undefined;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x, s.properties?.[k] ?? addl)]));
  }
  return v;
}
