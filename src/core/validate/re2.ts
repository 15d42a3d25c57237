/**
 * Go RE2 syntax → JavaScript RegExp. Both CRD `pattern` and CEL `matches()`/`find()` use
 * RE2 (Go regexp). The translation keeps RE2 semantics where the dialects differ:
 *  - the 'u' flag is always set, so '.' and classes consume code points as RE2 does;
 *  - '.' never matches '\n' (RE2 default) but does match '\r' (JS '.' would not);
 *  - '\s' is RE2's ASCII set [\t\n\f\r ] (JS '\s' also matches Unicode spaces and '\v');
 *  - any escaped punctuation is literal (JS 'u' mode rejects e.g. '\-' or "\'" outside classes);
 *  - '-' inside a class that cannot form a range is literal (RE2/Perl rule);
 *  - \A, \z, \Q...\E, (?P<name>...), \pL, [[:alpha:]], leading (?i)/(?s)/(?m) flags.
 * Constructs with no faithful equivalent throw Re2TranslationError so callers can report
 * "not evaluated" instead of guessing.
 */
export class Re2TranslationError extends Error {}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
const CLASS_SYNTAX = new Set('\\]^-['.split(''));
const RE2_SPACE = '\\t\\n\\f\\r ';

const cache = new Map<string, RegExp>();

/** Compile (with caching) an RE2 pattern into an equivalent unanchored JS RegExp. */
export function re2ToRegExp(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const { source, flags } = translate(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (err) {
    throw new Re2TranslationError(`cannot translate RE2 pattern ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
  cache.set(pattern, re);
  return re;
}

function translate(pattern: string): { source: string; flags: string } {
  let i = 0;
  let dotAll = false;
  const flagSet = new Set(['u']);
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1] ?? '') {
      if (f === 'U') throw new Re2TranslationError('RE2 flag U (ungreedy) is not supported');
      if (f === 's') dotAll = true;
      else flagSet.add(f);
    }
    i = lead[0].length;
  }
  let out = '';
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const [text, next] = escapeOutside(pattern, i);
      out += text;
      i = next;
    } else if (c === '[') {
      const [text, next] = translateClass(pattern, i);
      out += text;
      i = next;
    } else if (c === '.') {
      out += dotAll ? '[^]' : '[^\\n]';
      i++;
    } else if (c === '(') {
      if (pattern.startsWith('(?P<', i)) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (pattern[i + 1] === '?' && /^\(\?[imsU-]+[:)]/.test(pattern.slice(i)) && !pattern.startsWith('(?:', i)) {
        throw new Re2TranslationError('inline RE2 flag groups are not supported');
      }
      out += c;
      i++;
    } else if (c === '{') {
      const q = /^\{\d+(,\d*)?\}/.exec(pattern.slice(i));
      if (q && out !== '') {
        out += q[0];
        i += q[0].length;
      } else {
        out += '\\{';
        i++;
      }
    } else if (c === '}') {
      out += '\\}';
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return { source: out, flags: [...flagSet].sort().join('') };
}

/** Translate one escape outside a class; returns [text, nextIndex]. */
function escapeOutside(p: string, i: number): [string, number] {
  const n = p[i + 1];
  if (n === undefined) throw new Re2TranslationError('trailing backslash');
  switch (n) {
    case 'A':
      return ['^', i + 2];
    case 'z':
      return ['$', i + 2];
    case 's':
      return [`[${RE2_SPACE}]`, i + 2];
    case 'S':
      return [`[^${RE2_SPACE}]`, i + 2];
    case 'Q': {
      const end = p.indexOf('\\E', i + 2);
      const lit = end < 0 ? p.slice(i + 2) : p.slice(i + 2, end);
      return [[...lit].map((ch) => (JS_SYNTAX.has(ch) ? `\\${ch}` : ch)).join(''), end < 0 ? p.length : end + 2];
    }
    case 'C':
      throw new Re2TranslationError('\\C is not supported');
    default: {
      const shared = sharedEscape(p, i);
      if (shared) return shared;
      if (/[0-9]/.test(n)) throw new Re2TranslationError('backreferences/octal escapes are not supported');
      if (/[A-Za-z]/.test(n)) return [`\\${n}`, i + 2];
      return [JS_SYNTAX.has(n) ? `\\${n}` : n, i + 2];
    }
  }
}

/** Escapes valid both inside and outside classes: \pL, \p{..}, \x{...}. */
function sharedEscape(p: string, i: number): [string, number] | undefined {
  const n = p[i + 1];
  if (n === 'p' || n === 'P') {
    if (p[i + 2] === '{') {
      const end = p.indexOf('}', i + 3);
      if (end < 0) throw new Re2TranslationError('unterminated \\p{');
      const name = p.slice(i + 3, end);
      const neg = name.startsWith('^') !== (n === 'P');
      const bare = name.replace(/^\^/, '');
      const prop = bare.length <= 2 || bare === 'Any' ? bare : `Script=${bare}`;
      return [bare === 'Any' ? (neg ? '[]' : '[^]') : `\\${neg ? 'P' : 'p'}{${prop}}`, end + 1];
    }
    return [`\\${n}{${p[i + 2] ?? ''}}`, i + 3];
  }
  if (n === 'x' && p[i + 2] === '{') {
    const end = p.indexOf('}', i + 3);
    return [`\\u{${p.slice(i + 3, end)}}`, end + 1];
  }
  if (n === 'd' || n === 'D' || n === 'w' || n === 'W' || n === 'b' || n === 'B') return [`\\${n}`, i + 2];
  if (n === 'n' || n === 't' || n === 'r' || n === 'f' || n === 'v') return [`\\${n}`, i + 2];
  if (n === 'x') return [`\\x${p.slice(i + 2, i + 4)}`, i + 4];
  return undefined;
}

interface Atom {
  text: string;
  single: boolean;
  rawDash?: boolean;
}

/** Translate a character class starting at p[i] === '['; returns [text, nextIndex]. */
function translateClass(p: string, start: number): [string, number] {
  let i = start + 1;
  let negate = false;
  if (p[i] === '^') {
    negate = true;
    i++;
  }
  const atoms: Atom[] = [];
  let first = true;
  while (i < p.length && (p[i] !== ']' || first)) {
    first = false;
    const c = p[i] as string;
    if (c === '[' && p[i + 1] === ':') {
      const end = p.indexOf(':]', i + 2);
      const name = p.slice(i + 2, end).replace(/^\^/, '');
      const set = POSIX[name];
      if (end < 0 || set === undefined) throw new Re2TranslationError(`unknown POSIX class in ${p}`);
      if (p[i + 2] === '^') throw new Re2TranslationError('negated POSIX classes are not supported');
      atoms.push({ text: set, single: false });
      i = end + 2;
    } else if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (n === 's') {
        atoms.push({ text: RE2_SPACE, single: false });
        i += 2;
        continue;
      }
      const shared = sharedEscape(p, i);
      if (shared) {
        const single = /^\\(x|u\{|[ntrfv])/.test(shared[0]);
        atoms.push({ text: shared[0], single });
        i = shared[1];
      } else {
        atoms.push({ text: /[A-Za-z0-9]/.test(n) ? `\\${n}` : CLASS_SYNTAX.has(n) || JS_SYNTAX.has(n) ? `\\${n}` : n, single: true });
        i += 2;
      }
    } else {
      const cp = p.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      atoms.push({ text: CLASS_SYNTAX.has(ch) || ch === '/' ? `\\${ch}` : ch, single: true, rawDash: ch === '-' });
      i += ch.length;
    }
  }
  if (p[i] !== ']') throw new Re2TranslationError(`unterminated character class in ${p}`);
  // Re-emit: a literal '-' between two single atoms is a range, otherwise it is a literal.
  let out = '';
  for (let k = 0; k < atoms.length; k++) {
    const a = atoms[k] as Atom;
    const next = atoms[k + 1];
    const after = atoms[k + 2];
    if (a.single && next?.rawDash === true && after?.single === true) {
      out += `${a.text}-${after.text}`;
      k += 2;
    } else {
      out += a.text;
    }
  }
  return [`[${negate ? '^' : ''}${out}]`, i + 1];
}
