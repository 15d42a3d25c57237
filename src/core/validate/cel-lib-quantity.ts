/**
 * Kubernetes CEL quantity library: quantity(string), isQuantity(string) and Quantity
 * methods. Values are exact rationals (bigint numerator/denominator), so comparisons and
 * arithmetic do not suffer float rounding, like resource.Quantity.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { KubeCelError } from './cel-errors.ts';

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

export class KubeQuantity {
  readonly num: bigint;
  readonly den: bigint;
  constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }
}

export function parseQuantity(s: string): KubeQuantity | undefined {
  const m = QUANTITY.exec(s);
  if (!m) return undefined;
  const [intPart = '', frac = ''] = (m[1] ?? '').replace(/^\+/, '').split('.');
  let num = BigInt(`${intPart}${frac}`.replace(/^-?$/, '0').replace(/^-$/, '-0'));
  let den = 10n ** BigInt(frac.length);
  const suffix = m[2] ?? '';
  const bin = BINARY[suffix];
  if (bin !== undefined) num *= bin;
  else {
    const exp = suffix.startsWith('e') || suffix.startsWith('E') ? Number(suffix.slice(1)) : (DECIMAL[suffix] ?? 0);
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  return new KubeQuantity(num, den);
}

const cmp = (a: KubeQuantity, b: KubeQuantity): number => {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
const add = (a: KubeQuantity, b: KubeQuantity, sign: bigint): KubeQuantity =>
  new KubeQuantity(a.num * b.den + sign * b.num * a.den, a.den * b.den);
const fromInt = (i: bigint): KubeQuantity => new KubeQuantity(i, 1n);

export function registerQuantityLibrary(env: Environment): void {
  env.registerType('kubernetes.Quantity', KubeQuantity);
  env.registerFunction('isQuantity(string): bool', (s: string) => parseQuantity(s) !== undefined);
  env.registerFunction('quantity(string): kubernetes.Quantity', (s: string) => {
    const q = parseQuantity(s);
    // resource.ErrFormatWrong, as kube's quantity() returns it.
    if (!q) throw new KubeCelError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    return q;
  });
  const Q = 'kubernetes.Quantity';
  env.registerFunction(`${Q}.sign(): int`, (q: KubeQuantity) => BigInt(cmp(q, fromInt(0n))));
  env.registerFunction(`${Q}.isInteger(): bool`, (q: KubeQuantity) => q.num % q.den === 0n);
  env.registerFunction(`${Q}.asInteger(): int`, (q: KubeQuantity) => {
    if (q.num % q.den !== 0n) throw new KubeCelError('cannot convert value to integer');
    return q.num / q.den;
  });
  env.registerFunction(`${Q}.asApproximateFloat(): double`, (q: KubeQuantity) => Number(q.num) / Number(q.den));
  env.registerFunction(`${Q}.compareTo(${Q}): int`, (a: KubeQuantity, b: KubeQuantity) => BigInt(cmp(a, b)));
  env.registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: KubeQuantity, b: KubeQuantity) => cmp(a, b) > 0);
  env.registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: KubeQuantity, b: KubeQuantity) => cmp(a, b) < 0);
  env.registerFunction(`${Q}.add(${Q}): ${Q}`, (a: KubeQuantity, b: KubeQuantity) => add(a, b, 1n));
  env.registerFunction(`${Q}.add(int): ${Q}`, (a: KubeQuantity, b: bigint) => add(a, fromInt(b), 1n));
  env.registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: KubeQuantity, b: KubeQuantity) => add(a, b, -1n));
  env.registerFunction(`${Q}.sub(int): ${Q}`, (a: KubeQuantity, b: bigint) => add(a, fromInt(b), -1n));
  env.registerOperator(`${Q} == ${Q}`, (a: KubeQuantity, b: KubeQuantity) => cmp(a, b) === 0);
}
