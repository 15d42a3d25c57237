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
import { registerGoLibrary } from './cel-lib-go.ts';
import { rewriteRule } from './cel-rewrite.ts';

let shared: Environment | undefined;

export function celEnvironment(): Environment {
  if (shared) return shared;
  const env = new Environment({ enableOptionalTypes: true }).registerVariable('self', 'dyn').registerVariable('oldSelf', 'dyn');
  registerCoreLibrary(env);
  registerNetLibrary(env);
  registerQuantityLibrary(env);
  registerFormatLibrary(env);
  registerGoLibrary(env);
  shared = env;
  return env;
}

export type CompiledRule = { ok: true; program: ParseResult; usesOldSelf: boolean } | { ok: false; reason: string; usesOldSelf: boolean };

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
