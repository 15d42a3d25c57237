/**
 * Applies CLEAN_RULES to one object. Pure: the input is not modified; the same input and
 * context always give the same output. Empty maps the rules leave behind (annotations,
 * labels, ownerReferences, storage) are removed so the output carries no `{}` noise.
 */
import type { KubeObject } from '../model.ts';
import { CLEAN_RULES, type CleanRule, type RuleAction } from './clean-rules.ts';
import { knownKindOf, qualifiedKindOf } from './kinds.ts';

export interface CleanContext {
  /** Identities of every exported object: objectKey(). */
  exported: ReadonlySet<string>;
  keepRestoreUrl: boolean;
}

export interface CleanResult {
  object: KubeObject;
  /** Ids of the rules that changed something, in table order. */
  applied: string[];
  warnings: string[];
}

/** `Kind.group/namespace/name`: how ownerReferences and the exported set are matched. */
export function objectKey(qualifiedKind: string, namespace: string | undefined, name: string | undefined): string {
  return `${qualifiedKind}/${namespace ?? ''}/${name ?? ''}`;
}

type Json = Record<string, unknown>;

export function cleanObject(input: KubeObject, ctx: CleanContext, rules: readonly CleanRule[] = CLEAN_RULES): CleanResult {
  const object = structuredClone<KubeObject>(input);
  const qkind = qualifiedKindOf(object);
  const applied: string[] = [];
  const warnings: string[] = [];
  if (!knownKindOf(object)) {
    warnings.push(
      `${qkind} ${object.metadata.namespace ? object.metadata.namespace + '/' : ''}${object.metadata.name}: kind unknown to the cleaner; kept with the rules for every kind only`,
    );
  }
  for (const rule of rules) {
    if (rule.kinds !== '*' && !rule.kinds.includes(qkind)) continue;
    if (rule.unlessOption === 'keepRestoreUrl' && ctx.keepRestoreUrl) continue;
    if (applyAction(object, rule.action, ctx)) applied.push(rule.id);
  }
  pruneEmpty(object, ['metadata.annotations', 'metadata.labels', 'metadata.ownerReferences']);
  return { object, applied, warnings };
}

function applyAction(obj: KubeObject, action: RuleAction, ctx: CleanContext): boolean {
  switch (action.type) {
    case 'removePaths':
      return action.paths.map((p) => removePath(obj as unknown as Json, p)).some(Boolean);
    case 'removeAnnotations':
      return removeKeys(obj.metadata.annotations, action.keys, action.prefixes);
    case 'removeLabels':
      return removeKeys(obj.metadata.labels, action.keys, action.prefixes);
    case 'removeIfPresent':
      return getPath(obj, action.whenPresent) !== undefined && removePath(obj, action.path);
    case 'ownerReferences': {
      const refs = obj.metadata['ownerReferences'];
      if (!Array.isArray(refs)) return false;
      const kept = refs.filter((ref: Json) => {
        const apiVersion = typeof ref['apiVersion'] === 'string' ? ref['apiVersion'] : '';
        const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
        const key = objectKey(group ? `${String(ref['kind'])}.${group}` : String(ref['kind']), obj.metadata.namespace, String(ref['name']));
        const isExported = ctx.exported.has(key);
        return action.owners === 'exported' ? !isExported : isExported;
      });
      if (kept.length === refs.length) return false;
      obj.metadata['ownerReferences'] = kept;
      return true;
    }
  }
}

function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[part];
  }
  return cur;
}

function removePath(root: Json, path: string): boolean {
  const parts = path.split('.');
  const last = parts.pop() as string;
  const parent = getPath(root, parts.join('.') || '') as Json | undefined;
  const holder = parts.length === 0 ? root : parent;
  if (!holder || typeof holder !== 'object' || !(last in holder)) return false;
  delete holder[last];
  return true;
}

function removeKeys(map: Record<string, string> | undefined, keys: readonly string[], prefixes: readonly string[] = []): boolean {
  if (!map) return false;
  let changed = false;
  for (const key of Object.keys(map)) {
    if (keys.includes(key) || prefixes.some((p) => key.startsWith(p))) {
      delete map[key];
      changed = true;
    }
  }
  return changed;
}

function pruneEmpty(root: Json, paths: readonly string[]): void {
  for (const path of paths) {
    const value = getPath(root, path);
    const empty = Array.isArray(value)
      ? value.length === 0
      : value !== null && typeof value === 'object' && Object.keys(value).length === 0;
    if (empty) removePath(root, path);
  }
}
