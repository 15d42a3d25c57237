/**
 * kube-apiserver wording for FieldErrors: `<path>: <Type>: <value>: <detail>` per error
 * (field.Error.Error) and `<Kind>.<group> "<name>" is invalid: ...` for the whole Status.
 */
import type { FieldError } from './types.ts';

/** Go %q / %v-like rendering of a bad value. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '"null"';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
}

/** The part after the path, e.g. `Too many: 3: must have at most 1 item`. */
export function errorBody(e: FieldError): string {
  const omitValue =
    e.type === 'Required value' || e.type === 'Forbidden' || e.type === 'Too long' || e.type === 'Internal error' || !('value' in e);
  const head = omitValue ? e.type : `${e.type}: ${formatValue(e.value)}`;
  return e.message === '' ? head : `${head}: ${e.message}`;
}

export function formatFieldError(e: FieldError): string {
  return `${e.path === '' ? '<nil>' : e.path}: ${errorBody(e)}`;
}

/**
 * The message kube-apiserver returns for a rejected object. `kind` is the qualified kind
 * (`HostedCluster.hypershift.openshift.io`, see qualifiedKind). Returns '' for no errors.
 */
export function formatErrors(kind: string, name: string, errors: readonly FieldError[]): string {
  if (errors.length === 0) return '';
  const parts = errors.map(formatFieldError);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return `${kind} "${name}" is invalid: ${body}`;
}
