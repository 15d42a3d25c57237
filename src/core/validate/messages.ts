/**
 * Builders for the FieldErrors kube produces from OpenAPI schema violations, worded as
 * apiextensions-apiserver words them (go-openapi detail text wrapped in field.Error types).
 */
import type { FieldError } from './types.ts';

export function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

export const required = (path: string): FieldError => ({ path, type: 'Required value', message: '' });

export const invalid = (path: string, value: unknown, message: string): FieldError => ({
  path,
  type: 'Invalid value',
  message,
  value,
});

/** `in body` detail wording of go-openapi, e.g. `spec.x in body should match '^a$'`. */
export const inBody = (path: string, rest: string): string => `${path === '' ? 'body' : path} in body ${rest}`;

/** Errors of kube type TypeInvalid (rendered as 'Invalid value', but they block CEL). */
const TYPE_INVALID = new WeakSet<FieldError>();

export function typeInvalid(path: string, value: unknown, want: string): FieldError {
  const e = invalid(path, value, inBody(path, `must be of type ${want}: ${JSON.stringify(jsonTypeName(value))}`));
  TYPE_INVALID.add(e);
  return e;
}

/**
 * kube skips all CEL rules when schema validation found a NotSupported, Required, TooLong,
 * TooMany or TypeInvalid error (apiextensions customResourceStrategy hasBlockingErr).
 */
export function isBlocking(e: FieldError): boolean {
  return (
    TYPE_INVALID.has(e) || e.type === 'Unsupported value' || e.type === 'Required value' || e.type === 'Too long' || e.type === 'Too many'
  );
}

export const CEL_SKIPPED_MESSAGE =
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';

export function notSupported(path: string, value: unknown, allowed: unknown[]): FieldError {
  const list = allowed.map((a) => (typeof a === 'string' ? JSON.stringify(a) : JSON.stringify(JSON.stringify(a)))).join(', ');
  return { path, type: 'Unsupported value', message: `supported values: ${list}`, value };
}

export function tooMany(path: string, actual: number, max: number): FieldError {
  return { path, type: 'Too many', message: `must have at most ${max} ${max === 1 ? 'item' : 'items'}`, value: actual };
}

export function tooLong(path: string, max: number): FieldError {
  return { path, type: 'Too long', message: `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}` };
}

export const duplicate = (path: string, value: unknown): FieldError => ({ path, type: 'Duplicate value', message: '', value });
