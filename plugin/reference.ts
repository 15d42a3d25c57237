/**
 * The command reference, docs/reference.md, generated from the CLI's own `--help`: every command and subcommand the
 * yargs definitions in src/cli register, found by walking the "Commands:" section of each help, run in process.
 * Help is laid out at 100 columns (as when stdout is not a terminal), so the file is the same on every machine.
 *
 *   npm run docs:reference          # writes docs/reference.md
 *
 * test/unit/docs-reference.test.ts renders it again in memory and fails when the file differs.
 */
import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliDeps } from '../src/cli/deps.ts';
import { runCli } from '../src/cli/index.ts';
import { systemClock } from '../src/core/ports.ts';

export const REFERENCE_PATH = fileURLToPath(new URL('../docs/reference.md', import.meta.url));
export const REGENERATE = 'npm run docs:reference';
const SCRIPT = 'kubectl hcp-dr';

/** What a command needs to print its help: stdout and the host name. Anything that talks to the world refuses. */
function helpDeps(sink: (text: string) => void): CliDeps {
  const refuse = () => Promise.reject(new Error('the reference generator reaches no cluster and no store'));
  const quiet = { info: () => {}, warn: () => {}, debug: () => {} };
  const stdout = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      sink(String(chunk));
      callback();
    },
  });
  return {
    host: 'kubectl',
    reporter: quiet,
    stdout,
    stderr: stdout,
    stdin: process.stdin,
    interactive: false,
    stderrIsTTY: false,
    signal: new AbortController().signal,
    clock: systemClock,
    verbose: false,
    env: {},
    connectKube: refuse,
    openObjectStore: refuse,
  };
}

async function helpOf(path: string[]): Promise<string> {
  let text = '';
  const columns = Object.getOwnPropertyDescriptor(process.stdout, 'columns');
  Object.defineProperty(process.stdout, 'columns', { value: undefined, configurable: true, writable: true });
  try {
    await runCli(
      [...path, '--help'],
      helpDeps((t) => (text += t)),
    );
  } finally {
    if (columns) Object.defineProperty(process.stdout, 'columns', columns);
    else delete (process.stdout as { columns?: number }).columns;
  }
  return text.replace(/[ \t]+$/gm, '').trimEnd() + '\n';
}

/** The subcommand paths a help lists under "Commands:" (its own default command left out). */
export function subcommandsOf(help: string, path: string[]): string[][] {
  const section = help.split('\n\n').find((block) => block.startsWith('Commands:\n')) ?? '';
  const found: string[][] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith(`  ${SCRIPT} `)) continue;
    const words =
      line
        .slice(SCRIPT.length + 3)
        .split(/\s{2,}/)[0]
        ?.split(' ') ?? [];
    const command: string[] = [];
    for (const w of words) {
      if (/^[<[]/.test(w)) break;
      command.push(w);
    }
    if (command.length > path.length && command.slice(0, path.length).join(' ') === path.join(' ')) found.push(command);
  }
  return found;
}

const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

/** docs/reference.md as text. */
export async function renderReference(): Promise<string> {
  const sections: { title: string; help: string }[] = [];
  const walk = async (path: string[]) => {
    const help = await helpOf(path);
    sections.push({ title: [SCRIPT, ...path].join(' '), help });
    for (const sub of subcommandsOf(help, path)) await walk(sub);
  };
  await walk([]);
  const lines = [
    '# Command reference',
    '',
    `Generated from the plugin's own \`--help\` by \`${REGENERATE}\` (plugin/reference.ts); do not edit by hand.`,
    'A unit test fails when this file is stale. `oc hcp-dr` takes the same commands and flags.',
    '',
    ...sections.map((s) => `- [\`${s.title}\`](#${anchor(s.title)})`),
  ];
  for (const s of sections) lines.push('', `## ${s.title}`, '', '```text', s.help.trimEnd(), '```');
  return lines.join('\n') + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(REFERENCE_PATH, await renderReference());
  process.stdout.write(`wrote ${REFERENCE_PATH}\n`);
}
