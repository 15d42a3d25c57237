/**
 * Reading HyperShift CRD test-suite files the way the Go runner does, plus what it hides:
 *  - YAML with duplicated mapping keys is read twice: strictly (js-yaml's default, like
 *    yaml.v3, refuses it) and last-key-wins (sigs.k8s.io/yaml, which the envtest runner
 *    uses, keeps the last value). Every duplicate is listed with what last-key-wins drops.
 *  - `initialCRDPatches` are JSON patches (RFC 6902) applied with yaml-patch's path
 *    extension: a `key=value` segment selects the first element of a sequence whose `key`
 *    is `value` (`/spec/versions/name=v1beta1/...`).
 */
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import yaml from 'js-yaml';

export interface DuplicateKey {
  /** Dotted path of the mapping holding the key, then the key (`tests.onCreate`). */
  path: string;
  /** 1-based line of the occurrence last-key-wins keeps. */
  keptLine: number;
  /** What last-key-wins discards, described (`a list of 3 items`, `"x"`). */
  dropped: string[];
}

export type YamlReading = { ok: true; value: unknown; duplicates: DuplicateKey[]; strictError?: string } | { ok: false; error: string };

const MARK = /^__dup(\d+)__([\s\S]*)$/;

/** One line for a YAMLException (`duplicated mapping key (5:5)`). */
function yamlError(err: unknown): string {
  if (err instanceof yaml.YAMLException) return `${err.reason} (${err.mark.line + 1}:${err.mark.column + 1})`;
  return err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
}

/**
 * Read `text` strictly; if that fails only because of duplicated keys, read it last-key-wins
 * and list the duplicates (found by renaming each one the strict reader stops at).
 */
export function readYaml(text: string): YamlReading {
  try {
    return { ok: true, value: yaml.load(text), duplicates: [] };
  } catch (err) {
    if (!(err instanceof yaml.YAMLException) || err.reason !== 'duplicated mapping key') return { ok: false, error: yamlError(err) };
    const strictError = yamlError(err);
    let value: unknown;
    try {
      value = yaml.load(text, { json: true });
    } catch (lenient) {
      return { ok: false, error: yamlError(lenient) };
    }
    return { ok: true, value, duplicates: findDuplicates(text), strictError };
  }
}

function findDuplicates(text: string): DuplicateKey[] {
  const lines: number[] = [];
  let marked = text;
  for (let n = 0; n < 10_000; n++) {
    try {
      yaml.load(marked);
      break;
    } catch (err) {
      if (!(err instanceof yaml.YAMLException) || err.reason !== 'duplicated mapping key') break;
      const p = err.mark.position;
      const at = marked[p] === '"' || marked[p] === "'" ? p + 1 : p;
      marked = `${marked.slice(0, at)}__dup${n}__${marked.slice(at)}`;
      lines.push(err.mark.line + 1);
    }
  }
  const out: DuplicateKey[] = [];
  walkDuplicates(yaml.load(marked), '', lines, out);
  return out;
}

function walkDuplicates(v: unknown, path: string, lines: number[], out: DuplicateKey[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => walkDuplicates(x, `${path}[${i}]`, lines, out));
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const obj = v as Record<string, unknown>;
  const groups = new Map<string, { n: number; value: unknown }[]>();
  for (const [k, x] of Object.entries(obj)) {
    const m = MARK.exec(k);
    if (m) groups.set(m[2] as string, [...(groups.get(m[2] as string) ?? []), { n: Number(m[1]), value: x }]);
  }
  for (const [key, dups] of groups) {
    dups.sort((a, b) => a.n - b.n);
    const kept = dups[dups.length - 1] as { n: number; value: unknown };
    const dropped = [obj[key], ...dups.slice(0, -1).map((d) => d.value)];
    out.push({ path: path === '' ? key : `${path}.${key}`, keptLine: lines[kept.n] ?? 0, dropped: dropped.map(describe) });
  }
  for (const [k, x] of Object.entries(obj)) {
    const m = MARK.exec(k);
    const name = m ? (m[2] as string) : k;
    walkDuplicates(x, path === '' ? name : `${path}.${name}`, lines, out);
  }
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return `a list of ${v.length} ${v.length === 1 ? 'item' : 'items'}`;
  if (v !== null && typeof v === 'object') return `a mapping (${Object.keys(v).join(', ')})`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** One line per duplicate: `tests.onCreate (line 40): last-key-wins drops a list of 2 items`. */
export function describeDuplicates(dups: DuplicateKey[]): string[] {
  return dups.map((d) => `${d.path} (kept at line ${d.keptLine}): last-key-wins drops ${d.dropped.join(' and ')}`);
}

export interface CrdPatch {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

/** Resolve yaml-patch `key=value` segments of a JSON pointer against `doc` to list indexes. */
function resolvePointer(doc: unknown, pointer: string): string {
  if (pointer === '') return pointer;
  const segments = pointer.split('/').slice(1);
  const out: string[] = [];
  let cur: unknown = doc;
  for (const raw of segments) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const sel = /^([^=]+)=(.*)$/.exec(seg);
    if (sel && Array.isArray(cur)) {
      const i = cur.findIndex(
        (x) => x !== null && typeof x === 'object' && String((x as Record<string, unknown>)[sel[1] as string]) === sel[2],
      );
      if (i < 0) throw new Error(`no element with ${seg} at ${out.length === 0 ? '/' : `/${out.join('/')}`}`);
      out.push(String(i));
      cur = cur[i];
      continue;
    }
    out.push(raw);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return `/${out.join('/')}`;
}

/** Apply `patches` to a copy of `doc`; throws one-line errors naming the failing patch. */
export function applyCrdPatches(doc: object, patches: CrdPatch[]): object {
  let out = structuredClone(doc);
  patches.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.op !== 'string' || typeof p.path !== 'string') {
      throw new Error(`initialCRDPatches[${i}] needs string op and path`);
    }
    try {
      const op = {
        ...p,
        path: resolvePointer(out, p.path),
        ...(p.from === undefined ? {} : { from: resolvePointer(out, p.from) }),
      } as Operation;
      out = jsonPatch.applyOperation(out, op, true, true).newDocument;
    } catch (err) {
      const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new Error(`initialCRDPatches[${i}] (${p.op} ${p.path}): ${msg}`, { cause: err });
    }
  });
  return out;
}
