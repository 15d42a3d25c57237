/**
 * Offline admission-time validation of custom resources against their CRDs, mirroring
 * kube-apiserver: prune → default → structural schema + list-type checks → CEL rules
 * (skipped, as kube does, when a blocking schema error was found).
 */
import { NO_OLD } from './correlate.ts';
import { validateCel } from './cel-validate.ts';
import { applyDefaults, deepCopy, prune } from './defaulting.ts';
import { CEL_SKIPPED_MESSAGE, isBlocking } from './messages.ts';
import { lookupCrd } from './registry.ts';
import { validateSchema } from './schema-validate.ts';
import { isObject } from './types.ts';
import type { CrdRegistry, FieldError, Schema, ValidateOptions, ValidationResult } from './types.ts';

export { compileCrds, lookupCrd, qualifiedKind } from './registry.ts';
export { formatErrors, formatFieldError } from './format-errors.ts';
export type {
  CrdRegistry,
  CrdVersionEntry,
  FieldError,
  FieldErrorType,
  Schema,
  ValidateOptions,
  ValidationResult,
  ValidationRule,
} from './types.ts';

/** Prune and default a copy of `obj` as the server would on decode. */
export function normalize(obj: unknown, schema: Schema, warnings: FieldError[] = []): unknown {
  const copy = deepCopy(obj);
  prune(copy, schema, '', true, warnings);
  applyDefaults(copy, schema);
  return copy;
}

export function validateObject(registry: CrdRegistry, obj: object, options: ValidateOptions = {}): ValidationResult {
  const o = obj as Record<string, unknown>;
  const entry = isObject(obj) ? lookupCrd(registry, o['apiVersion'], o['kind']) : undefined;
  if (!entry) return { errors: [], notEvaluated: [], warnings: [], crdFound: false };
  const warnings: FieldError[] = [];
  const value = normalize(obj, entry.schema, warnings);
  const old = options.old === undefined ? NO_OLD : { has: true as const, value: normalize(options.old, entry.schema) };
  const ratcheting = options.ratcheting ?? true;
  const errors: FieldError[] = [];
  const notEvaluated: FieldError[] = [];
  validateSchema(value, entry.schema, '', old, { errors, notEvaluated, ratcheting });
  if (errors.some(isBlocking)) {
    errors.push({ path: '', type: 'Invalid value', value: null, message: CEL_SKIPPED_MESSAGE });
  } else {
    validateCel(value, entry.schema, '', old, { errors, notEvaluated, ratcheting });
  }
  return { errors, notEvaluated, warnings, crdFound: true, defaulted: value };
}
