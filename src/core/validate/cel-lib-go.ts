/**
 * Built-ins whose cel-js behaviour differs from cel-go's, reimplemented as cel-go has them and
 * reached through names the rule rewriter gives them (cel-rewrite.ts; cel-js cannot replace a
 * built-in overload):
 *   int(x), uint(x)                     → kube_int(x), kube_uint(x): range-checked, Go parsing,
 *                                         and int() of uint, timestamp and duration
 *   s.indexOf / lastIndexOf / substring → s.kube_indexOf ...: rune offsets, cel-go's bounds
 * Errors carry cel-go's words (cel-errors.ts). Other argument types go to the cel-js built-in.
 */
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { KubeCelError, goCel } from './cel-errors.ts';

const MIN_INT = -(2n ** 63n);
const MAX_INT = 2n ** 63n - 1n;
const MAX_UINT = 2n ** 64n - 1n;

function indexOfOffset(str: string, sub: string, offset: bigint): bigint {
  if (offset < 0n) throw new KubeCelError(goCel.stringIndex(offset));
  const runes = [...str];
  const subRunes = [...sub];
  const len = BigInt(runes.length);
  if (subRunes.length === 0) return offset > len ? len : offset;
  if (offset >= len) return -1n;
  for (let i = Number(offset); i <= runes.length - subRunes.length; i++) {
    if (subRunes.every((c, j) => runes[i + j] === c)) return BigInt(i);
  }
  return -1n;
}

function lastIndexOfOffset(str: string, sub: string, offset: bigint): bigint {
  if (offset < 0n) throw new KubeCelError(goCel.stringIndex(offset));
  const runes = [...str];
  const subRunes = [...sub];
  const len = BigInt(runes.length);
  if (subRunes.length === 0) return offset > len ? len : offset;
  if (offset >= len) return -1n;
  const start = Math.min(Number(offset), runes.length - subRunes.length);
  for (let i = start; i >= 0; i--) {
    if (subRunes.every((c, j) => runes[i + j] === c)) return BigInt(i);
  }
  return -1n;
}

function lastIndexOf(str: string, sub: string): bigint {
  const runes = [...str];
  if (sub === '') return BigInt(runes.length);
  if (Buffer.byteLength(str) < Buffer.byteLength(sub)) return -1n;
  return lastIndexOfOffset(str, sub, BigInt(runes.length - 1));
}

function substring(str: string, start: bigint, end?: bigint): string {
  const runes = [...str];
  const len = BigInt(runes.length);
  if (end !== undefined && start > end) throw new KubeCelError(goCel.substringRange(start, end));
  if (start < 0n || start > len) throw new KubeCelError(goCel.stringIndex(start));
  if (end !== undefined && (end < 0n || end > len)) throw new KubeCelError(goCel.stringIndex(end));
  return runes.slice(Number(start), end === undefined ? undefined : Number(end)).join('');
}

export function registerGoLibrary(env: Environment): void {
  env.registerFunction('string.kube_indexOf(string): int', (s: string, sub: string) => indexOfOffset(s, sub, 0n));
  env.registerFunction('string.kube_indexOf(string, int): int', indexOfOffset);
  env.registerFunction('string.kube_lastIndexOf(string): int', lastIndexOf);
  env.registerFunction('string.kube_lastIndexOf(string, int): int', lastIndexOfOffset);
  env.registerFunction('string.kube_substring(int): string', (s: string, start: bigint) => substring(s, start));
  env.registerFunction('string.kube_substring(int, int): string', substring);

  // Conversions of other types (int, uint, timestamp, duration...) keep cel-js's built-ins.
  const builtin: Partial<Record<'int' | 'uint', ParseResult>> = {};
  const viaBuiltin = (fn: 'int' | 'uint', v: unknown): unknown => (builtin[fn] ??= env.parse(`${fn}(self)`))({ self: v });

  env.registerFunction('kube_int(dyn): int', (v: unknown) => {
    if (typeof v === 'number') {
      // doubleToInt64Checked: the bounds themselves overflow too.
      if (!Number.isFinite(v) || v <= -(2 ** 63) || v >= 2 ** 63) throw new KubeCelError(goCel.intOverflow);
      return BigInt(Math.trunc(v));
    }
    if (typeof v === 'string') {
      // strconv.ParseInt(s, 10, 64): optional sign, decimal digits, in range.
      const n = /^[+-]?[0-9]+$/.test(v) ? BigInt(v.replace(/^\+/, '')) : undefined;
      if (n === undefined || n < MIN_INT || n > MAX_INT) throw new KubeCelError(goCel.conversion('string', 'int'));
      return n;
    }
    // cel-js has no int(uint), int(timestamp) nor int(duration): cel-go's meanings.
    if (v instanceof Date) return BigInt(Math.floor(v.getTime() / 1000));
    const duration = v as { seconds?: unknown; nanos?: unknown } | null;
    if (typeof duration?.seconds === 'number' || typeof duration?.seconds === 'bigint') {
      const ns = BigInt(duration.seconds) * 1_000_000_000n + BigInt((duration.nanos as number | bigint | undefined) ?? 0);
      if (ns < MIN_INT || ns > MAX_INT) throw new KubeCelError(goCel.intOverflow);
      return ns;
    }
    const unsigned: unknown = (v as { valueOf?: () => unknown } | null)?.valueOf?.();
    const n = typeof v === 'object' && typeof unsigned === 'bigint' ? unsigned : viaBuiltin('int', v);
    if (typeof n === 'bigint' && (n < MIN_INT || n > MAX_INT)) throw new KubeCelError(goCel.intOverflow);
    return n;
  });

  env.registerFunction('kube_uint(dyn): uint', (v: unknown) => {
    if (typeof v === 'bigint' && v < 0n) throw new KubeCelError(goCel.uintOverflow);
    if (typeof v === 'number' && (!Number.isFinite(v) || v < 0 || v >= 2 ** 64)) throw new KubeCelError(goCel.uintOverflow);
    if (typeof v === 'string') {
      // strconv.ParseUint(s, 10, 64): decimal digits only, in range.
      const n = /^[0-9]+$/.test(v) ? BigInt(v) : undefined;
      if (n === undefined || n > MAX_UINT) throw new KubeCelError(goCel.conversion('string', 'uint'));
      return viaBuiltin('uint', n.toString());
    }
    return viaBuiltin('uint', typeof v === 'number' ? Math.trunc(v) : v);
  });
}
