/**
 * Kubernetes CEL libraries on top of cel-js built-ins: RE2 regex (matches/find/findAll),
 * the ext.Strings functions cel-js lacks, kube's list library (sum/min/max/isSorted/
 * indexOf/lastIndexOf) plus ext lists (slice/flatten/distinct/reverse), and the sets
 * library (registered as sets_* — see cel-rewrite.ts).
 */
import type { Environment } from '@marcbachmann/cel-js';
import { re2ToRegExp } from './re2.ts';
import { deepEqual } from './correlate.ts';
import { KubeCelError, goCel } from './cel-errors.ts';

/** CEL ordering for sortable scalars (int/uint/double/string/bool/timestamp/duration). */
function compare(a: unknown, b: unknown): number {
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  const nx = typeof x === 'bigint' || typeof x === 'number' || typeof x === 'boolean' ? x : Number(x);
  const ny = typeof y === 'bigint' || typeof y === 'number' || typeof y === 'boolean' ? y : Number(y);
  return nx < ny ? -1 : nx > ny ? 1 : 0;
}

function celEquals(a: unknown, b: unknown): boolean {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return Number(a) === Number(b);
  }
  return deepEqual(a, b);
}

function matchesRe2(s: string, re: string): boolean {
  return re2ToRegExp(re).test(s);
}

function globalRegExp(re: string): RegExp {
  const base = re2ToRegExp(re);
  return new RegExp(base.source, `${base.flags}g`);
}

export function registerCoreLibrary(env: Environment): void {
  env.registerFunction('string.re2Matches(string): bool', matchesRe2);
  env.registerFunction('re2Matches(string, string): bool', matchesRe2);
  env.registerFunction('string.find(string): string', (s: string, re: string) => re2ToRegExp(re).exec(s)?.[0] ?? '');
  env.registerFunction('string.findAll(string): list<string>', (s: string, re: string) =>
    [...s.matchAll(globalRegExp(re))].map((m) => m[0]),
  );
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, re: string, n: bigint) => {
    const all = [...s.matchAll(globalRegExp(re))].map((m) => m[0]);
    return n < 0n ? all : all.slice(0, Number(n));
  });

  const chars = (s: string): string[] => [...s];
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const c = chars(s);
    if (i < 0n || i > BigInt(c.length)) throw new KubeCelError(`index out of range: ${i}`);
    return c[Number(i)] ?? '';
  });
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => s.split(a).join(b));
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => {
    if (n < 0n) return s.split(a).join(b);
    const parts = s.split(a);
    const k = Number(n);
    return parts.slice(0, k + 1).join(b) + (parts.length > k + 1 ? a + parts.slice(k + 1).join(a) : '');
  });
  env.registerFunction('string.reverse(): string', (s: string) => chars(s).reverse().join(''));
  env.registerFunction('strings_quote(string): string', (s: string) => JSON.stringify(s));

  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0));
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => {
    if (l.length === 0) return 0n;
    return l.reduce((acc: unknown, x) => {
      if (typeof acc !== 'bigint' || typeof x !== 'bigint') return Number(acc) + Number(x);
      const s = acc + x;
      if (s < -(2n ** 63n) || s >= 2n ** 63n) throw new KubeCelError(goCel.intOverflow);
      return s;
    });
  });
  const pick =
    (fn: 'min' | 'max', sign: number) =>
    (l: unknown[]): unknown => {
      if (l.length === 0) throw new KubeCelError(goCel.emptyList(fn));
      return l.reduce((a, b) => (compare(b, a) * sign > 0 ? b : a));
    };
  env.registerFunction('list.min(): dyn', pick('min', -1));
  env.registerFunction('list.max(): dyn', pick('max', 1));
  // kube_indexOf / kube_lastIndexOf: the names the rewriter gives (string versions in cel-lib-go.ts).
  for (const name of ['indexOf', 'kube_indexOf']) {
    env.registerFunction(`list.${name}(dyn): int`, (l: unknown[], x: unknown) => BigInt(l.findIndex((y) => celEquals(y, x))));
  }
  for (const name of ['lastIndexOf', 'kube_lastIndexOf']) {
    env.registerFunction(`list.${name}(dyn): int`, (l: unknown[], x: unknown) => {
      for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], x)) return BigInt(i);
      return -1n;
    });
  }
  // cel-go ext/lists.go wording.
  env.registerFunction('list.slice(int, int): list', (l: unknown[], a: bigint, b: bigint) => {
    if (a < 0n || b < 0n) throw new KubeCelError(`cannot slice(${a}, ${b}), negative indexes not supported`);
    if (a > b) throw new KubeCelError(`cannot slice(${a}, ${b}), start index must be less than or equal to end index`);
    if (b > BigInt(l.length)) throw new KubeCelError(`cannot slice(${a}, ${b}), list is length ${l.length}`);
    return l.slice(Number(a), Number(b));
  });
  env.registerFunction('list.flatten(): list', (l: unknown[]) => l.flatMap((x) => (Array.isArray(x) ? (x as unknown[]) : [x])));
  env.registerFunction('list.distinct(): list', (l: unknown[]) => l.filter((x, i) => l.findIndex((y) => celEquals(x, y)) === i));
  env.registerFunction('list.reverse(): list', (l: unknown[]) => [...l].reverse());

  const has = (l: unknown[], x: unknown): boolean => l.some((y) => celEquals(x, y));
  env.registerFunction('sets_contains(list, list): bool', (a: unknown[], b: unknown[]) => b.every((x) => has(a, x)));
  env.registerFunction(
    'sets_equivalent(list, list): bool',
    (a: unknown[], b: unknown[]) => b.every((x) => has(a, x)) && a.every((x) => has(b, x)),
  );
  env.registerFunction('sets_intersects(list, list): bool', (a: unknown[], b: unknown[]) => a.some((x) => has(b, x)));
}
