/** YAML in and out, formatted as kubectl formats it. js-yaml is the one YAML library. */
import yaml from 'js-yaml';
import { UsageError } from './errors.ts';

/**
 * One object as kubectl writes YAML (sigs.k8s.io/yaml): keys sorted, sequences not indented
 * under their key, no line folding, and strings that need quotes in double quotes as Go does.
 */
export function dumpKubeYaml(value: unknown): string {
  return yaml.dump(value, { sortKeys: true, noArrayIndent: true, lineWidth: -1, noRefs: true, quotingType: '"' });
}

/**
 * Parses every document of a multi-document stream, dropping empty ones. The core schema keeps
 * an unquoted timestamp the string it is (as Kubernetes, which converts YAML to JSON, does)
 * rather than turning it into a Date. Errors are one line and carry `source:line:column`.
 */
export function loadAllYaml(text: string, source: string, hint = 'check the file is YAML or JSON'): unknown[] {
  try {
    return yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA }).filter((doc) => doc !== null && doc !== undefined);
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const where = mark ? `${source}:${mark.line + 1}:${mark.column + 1}` : source;
    const reason = (err as { reason?: string }).reason ?? String(err);
    throw new UsageError(`failed to parse YAML in ${where}: ${reason}`, { hint });
  }
}
