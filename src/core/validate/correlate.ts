/**
 * Correlation of a new value with "the same" value in the old object, as kube does for
 * transition rules (`oldSelf`) and validation ratcheting:
 *  - object properties and map (additionalProperties) entries correlate by name;
 *  - items of `x-kubernetes-list-type: map` lists correlate by their list-map-keys;
 *  - items of set and atomic lists never correlate element-wise.
 */
import { isObject } from './types.ts';
import type { Schema } from './types.ts';

/** A correlated old value, or none. `has` distinguishes "absent" from a stored null. */
export type OldRef = { has: true; value: unknown } | { has: false };
export const NO_OLD: OldRef = { has: false };

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

export function oldProperty(old: OldRef, key: string): OldRef {
  if (!old.has || !isObject(old.value) || !(key in old.value)) return NO_OLD;
  return { has: true, value: old.value[key] };
}

/** The key tuple of a map-list item, as a comparable string. */
export function mapKeyOf(item: unknown, keys: readonly string[]): string | undefined {
  if (!isObject(item)) return undefined;
  return JSON.stringify(keys.map((k) => item[k] ?? null));
}

export function oldListItem(old: OldRef, s: Schema, item: unknown): OldRef {
  if (!old.has || !Array.isArray(old.value)) return NO_OLD;
  const keys = s['x-kubernetes-list-map-keys'];
  if (s['x-kubernetes-list-type'] !== 'map' || !keys || keys.length === 0) return NO_OLD;
  const want = mapKeyOf(item, keys);
  if (want === undefined) return NO_OLD;
  const match = (old.value as unknown[]).find((o) => mapKeyOf(o, keys) === want);
  return match === undefined ? NO_OLD : { has: true, value: match };
}

/** Ratcheting: on update, a value equal to its correlated old value is not re-validated. */
export function unchanged(value: unknown, old: OldRef): boolean {
  return old.has && deepEqual(value, old.value);
}
