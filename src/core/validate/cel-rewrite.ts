/**
 * Source-level adaptation of Kubernetes CEL rules to the cel-js dialect. cel-js cannot
 * replace its built-in `matches` (it uses JS RegExp, not RE2) and has no namespaced
 * functions, so a tokenizer (string-literal aware) rewrites:
 *   x.matches(re) / matches(x, re)  →  x.re2Matches(re) / re2Matches(x, re)
 *   sets.contains(...)              →  sets_contains(...)
 *   format.dns1123Label()           →  format_dns1123Label()   (also strings.*, ip.*)
 *   int(x), uint(x)                 →  kube_int(x), kube_uint(x)           (cel-go semantics,
 *   x.indexOf/lastIndexOf/substring →  x.kube_indexOf(...) ...              see cel-lib-go.ts)
 * It also reports whether a rule references `oldSelf` (a transition rule).
 */
interface Token {
  kind: 'ident' | 'punct' | 'string' | 'other';
  text: string;
  start: number;
  end: number;
}

const NAMESPACES = new Set(['sets', 'format', 'strings', 'ip']);
/** Built-ins replaced by cel-go-faithful versions: global calls and member (receiver) calls. */
const GO_GLOBALS = new Set(['int', 'uint']);
const GO_MEMBERS = new Set(['indexOf', 'lastIndexOf', 'substring']);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const lit = /^([rRbB]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5));
    if (lit && (lit[1] === '' || !/[A-Za-z0-9_]/.test(src[i - 1] ?? ''))) {
      const raw = /r/i.test(lit[1] ?? '');
      const quote = lit[2] as string;
      let j = i + lit[0].length;
      while (j < src.length && !src.startsWith(quote, j)) j += !raw && src[j] === '\\' ? 2 : 1;
      j = Math.min(src.length, j + quote.length);
      out.push({ kind: 'string', text: src.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: 'ident', text: id[0], start: i, end: i + id[0].length });
      i += id[0].length;
      continue;
    }
    out.push({ kind: c === '.' || c === '(' ? 'punct' : 'other', text: c, start: i, end: i + 1 });
    i++;
  }
  return out;
}

export interface RewrittenRule {
  source: string;
  usesOldSelf: boolean;
}

export function rewriteRule(src: string): RewrittenRule {
  const toks = tokenize(src);
  const edits: { start: number; end: number; text: string }[] = [];
  let usesOldSelf = false;
  toks.forEach((t, k) => {
    if (t.kind !== 'ident') return;
    const prev = toks[k - 1];
    const next = toks[k + 1];
    const afterDot = prev?.text === '.';
    if (t.text === 'oldSelf' && !afterDot) usesOldSelf = true;
    if (t.text === 'matches' && next?.text === '(') edits.push({ start: t.start, end: t.end, text: 're2Matches' });
    const goName = afterDot ? GO_MEMBERS.has(t.text) : GO_GLOBALS.has(t.text);
    if (goName && next?.text === '(') edits.push({ start: t.start, end: t.end, text: `kube_${t.text}` });
    const fn = toks[k + 2];
    if (NAMESPACES.has(t.text) && !afterDot && next?.text === '.' && fn?.kind === 'ident' && toks[k + 3]?.text === '(') {
      edits.push({ start: t.start, end: fn.end, text: `${t.text}_${fn.text}` });
    }
  });
  let out = src;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { source: out, usesOldSelf };
}
