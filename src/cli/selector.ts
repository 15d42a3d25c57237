/**
 * Label selectors (-l) checked before anything is read, with the grammar of the API server
 * (k8s.io/apimachinery labels.Parse): requirements separated by commas, each `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (v1,v2)` or `key notin (v1,v2)`; keys are
 * [prefix/]name, values are empty or label values. A malformed one is a UsageError naming the
 * requirement, not the API server's text after a connection.
 */
import { UsageError } from '../core/errors.ts';

const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const PREFIX = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
const KEY = new RegExp(`^(${PREFIX}/)?${NAME}$`);
const VALUE = new RegExp(`^(${NAME})?$`);
const HINT = 'use the form -l env=prod, -l "env in (prod,stage)", -l "tier!=db,!canary"';

/** Splits on the commas that are not inside parentheses; an unbalanced parenthesis is an error. */
function requirements(text: string, flag: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth < 0 || depth > 1) throw malformed(text, flag, 'unbalanced parentheses');
    if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw malformed(text, flag, 'a "(" is not closed');
  out.push(text.slice(start));
  return out.map((r) => r.trim());
}

function malformed(text: string, flag: string, why: string): UsageError {
  return new UsageError(`invalid ${flag} "${text}": ${why}`, { hint: HINT });
}

function checkKey(key: string, text: string, flag: string): void {
  if (!KEY.test(key)) throw malformed(text, flag, `"${key}" is not a label key`);
}

function checkValue(value: string, text: string, flag: string): void {
  if (!VALUE.test(value)) throw malformed(text, flag, `"${value}" is not a label value (63 characters at most: letters, digits, -, _, .)`);
}

/** The selector, trimmed, or a UsageError; `flag` as the user sees it, e.g. "--selector (-l)". */
export function checkLabelSelector(text: string, flag: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`${flag} needs a value`, { hint: 'e.g. -l env=prod, or leave it out for every HostedCluster' });
  for (const req of requirements(trimmed, flag)) {
    if (req === '') throw malformed(trimmed, flag, 'an empty requirement (two commas, or one at an end)');
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(req);
    if (set) {
      checkKey(set[1] ?? '', trimmed, flag);
      for (const v of (set[3] ?? '').split(',')) checkValue(v.trim(), trimmed, flag);
      continue;
    }
    if (/\s(in|notin)\b/.test(req) || /[()]/.test(req)) throw malformed(trimmed, flag, `"${req}" is not a complete requirement`);
    const op = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(req);
    if (op) {
      checkKey(op[1] ?? '', trimmed, flag);
      checkValue(op[3] ?? '', trimmed, flag);
      continue;
    }
    checkKey(req.startsWith('!') ? req.slice(1).trim() : req, trimmed, flag);
  }
  return trimmed;
}
