/**
 * The shared cel-js Environment with the Kubernetes CEL libraries, and rule compilation.
 * `self` and `oldSelf` are declared dyn: kube type-checks rules against the schema when the
 * CRD is created, so rules in served CRDs are already well-typed; at runtime the values
 * carry their CEL types (see cel-values.ts).
 */
import { Environment, ParseError } from '@marcbachmann/cel-js';
import type { ParseResult } from '@marcbachmann/cel-js';
import { registerCoreLibrary } from './cel-lib-core.ts';
import { registerNetLibrary } from './cel-lib-net.ts';
import { registerQuantityLibrary } from './cel-lib-quantity.ts';
import { registerFormatLibrary } from './cel-lib-format.ts';
import { rewriteRule } from './cel-rewrite.ts';
import { KubeCelError } from './cel-errors.ts';

let shared: Environment | undefined;

export function celEnvironment(): Environment {
  if (shared) return shared;
  const env = new Environment({ enableOptionalTypes: true })
    .registerVariable('self', 'dyn')
    .registerVariable('oldSelf', 'dyn');
  registerCoreLibrary(env);
  registerNetLibrary(env);
  registerQuantityLibrary(env);
  registerFormatLibrary(env);
  shared = env;
  return env;
}

export type CompiledRule =
  | { ok: true; program: ParseResult; usesOldSelf: boolean }
  | { ok: false; reason: string; usesOldSelf: boolean };

const compiled = new Map<string, CompiledRule>();

/** Parse (cached by source text) a CEL expression; failures carry the reason. */
export function compileExpression(src: string): CompiledRule {
  const hit = compiled.get(src);
  if (hit) return hit;
  const { source, usesOldSelf } = rewriteRule(src);
  let out: CompiledRule;
  try {
    out = { ok: true, program: celEnvironment().parse(source), usesOldSelf };
  } catch (err) {
    const kind = err instanceof ParseError ? 'parse error' : 'compile error';
    out = { ok: false, reason: `${kind}: ${firstLine(err)}`, usesOldSelf };
  }
  compiled.set(src, out);
  return out;
}

export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

/**
 * Runtime errors kube-apiserver itself would raise for a well-typed rule (reported as
 * validation errors: "<err> evaluating rule: <rule>"). Anything else (missing overloads,
 * unknown functions, untranslatable regexes) is a gap of this evaluator: not evaluated.
 */
const KUBE_RUNTIME_CODES = new Set([
  'no_such_key', 'index_out_of_bounds', 'int_conversion_error', 'division_by_zero', 'numeric_overflow',
  'modulus_by_zero', 'uint_conversion_error', 'double_conversion_error',
]);

export function isKubeRuntimeError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && KUBE_RUNTIME_CODES.has(code)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof KubeCelError;
}
