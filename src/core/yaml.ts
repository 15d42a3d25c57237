/** YAML in and out, formatted as kubectl formats it. js-yaml is the one YAML library. */
import yaml from 'js-yaml';
import { UsageError } from './errors.ts';

/** kubectl (sigs.k8s.io/yaml) sorts map keys and does not indent sequences under their key. */
export function dumpKubeYaml(value: unknown): string {
  return yaml.dump(value, { sortKeys: true, noArrayIndent: true, lineWidth: -1, noRefs: true });
}

/** Parses every document of a multi-document stream, dropping empty ones; errors carry line and column. */
export function loadAllYaml(text: string, source: string): unknown[] {
  try {
    return yaml.loadAll(text).filter((doc) => doc !== null && doc !== undefined);
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const where = mark ? `${source}:${mark.line + 1}:${mark.column + 1}` : source;
    const reason = (err as { reason?: string }).reason ?? String(err);
    throw new UsageError(`failed to parse YAML in ${where}: ${reason}`, { hint: 'check the file is YAML or JSON' });
  }
}
