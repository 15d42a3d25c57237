/**
 * Label and field selectors with the syntax kube-apiserver accepts in `?labelSelector=` / `?fieldSelector=`.
 * Parsing errors throw a 400 BadRequest SimError, as the apiserver does.
 */
import { badRequest } from './status.ts';
import type { SimObject } from './types.ts';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

/** Splits on commas that are not inside `( … )`. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(k: string, whole: string): string {
  if (!KEY.test(k)) throw badRequest(`unable to parse requirement: invalid label key "${k}" in selector "${whole}"`);
  return k;
}

function checkValue(v: string, whole: string): string {
  if (!VALUE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in selector "${whole}"`);
  return v;
}

function parseRequirement(part: string, whole: string): Requirement {
  let m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
  if (m) {
    const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim(), whole));
    return { op: m[2] === 'in' ? 'in' : 'notin', key: checkKey(m[1] ?? '', whole), values };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
  if (m) {
    const op = m[2] === '!=' ? 'neq' : 'eq';
    return { op, key: checkKey(m[1] ?? '', whole), value: checkValue((m[3] ?? '').trim(), whole) };
  }
  if (part.startsWith('!')) return { op: 'notexists', key: checkKey(part.slice(1).trim(), whole) };
  return { op: 'exists', key: checkKey(part, whole) };
}

export function parseLabelSelector(selector: string | undefined): Matcher {
  if (!selector || selector.trim() === '') return () => true;
  const reqs = splitTop(selector).map((p) => parseRequirement(p, selector));
  return (labels) => {
    const l = labels ?? {};
    return reqs.every((q) => {
      const has = Object.hasOwn(l, q.key);
      const v = l[q.key];
      switch (q.op) {
        case 'eq':
          return has && v === q.value;
        case 'neq':
          return !has || v !== q.value;
        case 'in':
          return has && q.values.includes(v ?? '');
        case 'notin':
          return !has || !q.values.includes(v ?? '');
        case 'exists':
          return has;
        case 'notexists':
          return !has;
      }
    });
  };
}

export type ObjectMatcher = (o: SimObject) => boolean;

function fieldValue(o: SimObject, path: string): string {
  let cur: unknown = o;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  return typeof cur === 'number' || typeof cur === 'boolean' ? cur.toString() : JSON.stringify(cur);
}

/** `metadata.name=x,status.phase!=Running`: any dotted path, compared as strings (missing = ""). */
export function parseFieldSelector(selector: string | undefined): ObjectMatcher {
  if (!selector || selector.trim() === '') return () => true;
  const reqs = splitTop(selector).map((part) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    return { path: m[1] ?? '', neq: m[2] === '!=', value: (m[3] ?? '').trim() };
  });
  return (o) => reqs.every((q) => (fieldValue(o, q.path) === q.value) !== q.neq);
}
