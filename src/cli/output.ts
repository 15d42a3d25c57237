/**
 * Printers for -o table|json|yaml. Data goes to stdout only. YAML is written the way
 * kubectl writes it (sorted keys, two-space indent, sequences not indented under their key).
 */
import type { Writable } from 'node:stream';
import { UsageError } from '../core/errors.ts';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(value: string | undefined, allowed: readonly OutputFormat[] = OUTPUT_FORMATS): OutputFormat {
  const format = (value ?? allowed[0] ?? 'table') as OutputFormat;
  if (!allowed.includes(format)) {
    throw new UsageError(`unsupported output format "${value}": use one of ${allowed.join('|')}`, {
      hint: `pass -o ${allowed.join(' or -o ')}`,
    });
  }
  return format;
}

export async function toYaml(value: unknown): Promise<string> {
  const { dumpKubeYaml } = await import('../core/yaml.ts');
  return dumpKubeYaml(value);
}

export async function printData(out: Writable, format: OutputFormat, value: unknown, table: () => string): Promise<void> {
  if (format === 'json') out.write(JSON.stringify(value, null, 2) + '\n');
  else if (format === 'yaml') out.write(await toYaml(value));
  else out.write(table());
}

/** Columns aligned as kubectl's tabwriter does: padded to the widest cell plus three spaces. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
      .join('')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
