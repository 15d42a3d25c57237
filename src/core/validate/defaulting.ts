/**
 * What the apiextensions-apiserver does to a decoded custom resource before validating it:
 *  1. prune fields the structural schema does not specify (unless
 *     x-kubernetes-preserve-unknown-fields); the server drops them silently (kubectl shows
 *     'unknown field' warnings), so they become warnings here, never errors;
 *  2. prune `null` values of non-nullable properties (kube docs "Defaulting and Nullable");
 *  3. apply `default`s top-down: a missing (or pruned-null) property gets a deep copy of its
 *     default, then defaulting recurses into it, so nested defaults apply too.
 * Functions mutate the value they are given; callers pass a deep copy.
 */
import { childPath, indexPath, keyPath } from './path.ts';
import { isObject } from './types.ts';
import type { FieldError, JsonObject, Schema } from './types.ts';

/** The keys kube keeps at the root and in embedded resources whatever the schema says. */
const RESOURCE_KEYS = new Set(['apiVersion', 'kind', 'metadata']);

export function deepCopy<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}

function additional(s: Schema): Schema | undefined {
  return isObject(s.additionalProperties) ? s.additionalProperties : undefined;
}

/** Remove unknown fields and non-nullable nulls; report pruned fields as warnings. */
export function prune(value: unknown, s: Schema, path: string, isRoot: boolean, warnings: FieldError[]): void {
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => prune(item, s.items as Schema, indexPath(path, i), false, warnings));
    return;
  }
  if (!isObject(value)) return;
  const props = s.properties;
  const addl = additional(s);
  const keepUnknown = s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true;
  const resource = isRoot || s['x-kubernetes-embedded-resource'] === true;
  for (const k of Object.keys(value)) {
    // ObjectMeta is pruned by its own Go type, not by the CRD schema: leave it alone.
    if (resource && RESOURCE_KEYS.has(k)) continue;
    const child = props?.[k] ?? addl;
    const childP = props?.[k] ? childPath(path, k) : keyPath(path, k);
    if (child) {
      if (value[k] === null && child.nullable !== true) {
        delete value[k];
        continue;
      }
      prune(value[k], child, childP, false, warnings);
    } else if (!keepUnknown && (props !== undefined || addl !== undefined || s.type === 'object')) {
      delete value[k];
      warnings.push({ path: childPath(path, k), type: 'Unknown field', message: `unknown field "${childPath(path, k)}"` });
    }
  }
}

/** Apply schema defaults in place (after prune). */
export function applyDefaults(value: unknown, s: Schema): void {
  if (Array.isArray(value)) {
    const items = s.items;
    if (!items) return;
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null && items.nullable !== true && items.default !== undefined) value[i] = deepCopy(items.default);
      applyDefaults(value[i], items);
    }
    return;
  }
  if (!isObject(value)) return;
  const obj: JsonObject = value;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (prop.default === undefined) continue;
    if (!(k in obj) || (obj[k] === null && prop.nullable !== true)) obj[k] = deepCopy(prop.default);
  }
  const addl = additional(s);
  for (const [k, v] of Object.entries(obj)) {
    const child = s.properties?.[k] ?? addl;
    if (child) applyDefaults(v, child);
  }
}
