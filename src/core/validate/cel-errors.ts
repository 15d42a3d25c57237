/**
 * CEL runtime errors as kube-apiserver words them. kube evaluates rules with cel-go and reports
 * a runtime error as `<cel-go message> evaluating rule: <rule>`; cel-js raises the same errors
 * with its own words, so they are translated here. Only errors cel-go raises too for a
 * well-typed rule are translated; anything else is a gap of this evaluator (not evaluated).
 */

/** Thrown by this project's library functions, already worded as cel-go / kube's libraries. */
export class KubeCelError extends Error {}

/** cel-go's messages (common/types/err.go, list.go, map.go; ext/strings.go; kube's library). */
export const goCel = {
  divisionByZero: 'division by zero',
  modulusByZero: 'modulus by zero',
  intOverflow: 'integer overflow',
  uintOverflow: 'unsigned integer overflow',
  listIndex: (index: string | bigint, size: string | bigint | number | undefined): string =>
    size === undefined ? `index '${index}' out of range in list` : `index '${index}' out of range in list size '${size}'`,
  noSuchKey: (key: string): string => `no such key: ${key}`,
  conversion: (from: string, to: string): string => `type conversion error from '${from}' to '${to}'`,
  stringIndex: (index: bigint | number): string => `index out of range: ${index}`,
  substringRange: (start: bigint, end: bigint): string => `invalid substring range. start: ${start}, end: ${end}`,
  emptyList: (fn: 'min' | 'max'): string => `${fn} called on empty list`,
} as const;

interface CelJsError {
  code?: unknown;
  summary?: unknown;
  message?: unknown;
  node?: unknown;
}

/** The first line of a cel-js message, without the source excerpt it appends. */
function summaryOf(err: CelJsError): string {
  const s = typeof err.summary === 'string' ? err.summary : typeof err.message === 'string' ? err.message : '';
  return s.split('\n')[0] ?? '';
}

/**
 * kube's message for a runtime error of cel-js, or undefined when kube would not raise it.
 * `operandSize` evaluates the list operand of a failed index expression (cel-js names the size
 * only for indexes past the end); it may return undefined (e.g. inside a comprehension).
 */
export function kubeRuntimeMessage(
  err: unknown,
  operandSize: (indexNode: unknown) => number | undefined = () => undefined,
): string | undefined {
  if (err instanceof KubeCelError) return err.message;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof KubeCelError) return cause.message;
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as CelJsError;
  const summary = summaryOf(e);
  switch (e.code) {
    case 'division_by_zero':
      return goCel.divisionByZero;
    case 'modulo_by_zero':
    case 'modulus_by_zero':
      return goCel.modulusByZero;
    case 'numeric_overflow':
      return /unsigned/i.test(summary) ? goCel.uintOverflow : goCel.intOverflow;
    case 'no_such_key': {
      const m = /^No such key: (.*)$/s.exec(summary);
      return m ? goCel.noSuchKey(m[1] as string) : undefined;
    }
    case 'index_out_of_bounds': {
      const past = /index (-?\d+) >= size (\d+)/.exec(summary);
      if (past) return goCel.listIndex(past[1] as string, past[2]);
      const negative = /index (-?\d+) < 0/.exec(summary);
      return negative ? goCel.listIndex(negative[1] as string, operandSize(e.node)) : undefined;
    }
    case 'int_conversion_error':
      return goCel.conversion('string', 'int');
    case 'uint_conversion_error':
      return goCel.conversion('string', 'uint');
    case 'double_conversion_error':
      return goCel.conversion('string', 'double');
    default:
      return undefined;
  }
}
