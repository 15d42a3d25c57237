/**
 * What the parser hands over, made single and in the user's words:
 *  - a flag given more than once takes its last value (kubectl's convention for scalars: a script
 *    that adds a default and then an override gets the override). yargs turns repeats into arrays
 *    (also under the camelCase alias); handlers take one value. `render` and `validate` refuse any
 *    repeat instead (their input.ts names it), and an array positional stays an array;
 *  - yargs's "Unknown arguments: endpoint, ca-bundle, caBundle" becomes "unknown flags: --endpoint,
 *    --ca-bundle", each once and spelled as typed, with the help of the command that refused it.
 */
import type { Arguments } from 'yargs';

/** Commands whose handlers refuse every repeated flag (rejectRepeated in cli/input.ts). */
const REFUSE_REPEATS = new Set(['render', 'validate']);
/** Positionals declared as arrays (schedule's hosted clusters). */
const ARRAY_KEYS = new Set(['_', '$0', 'hosted-cluster', 'hostedCluster']);

/** yargs middleware: every repeated flag to its last value. */
export function lastValueWins(argv: Arguments): void {
  if (REFUSE_REPEATS.has(String(argv._[0]))) return;
  for (const [key, value] of Object.entries(argv)) {
    if (!ARRAY_KEYS.has(key) && Array.isArray(value)) argv[key] = value[value.length - 1];
  }
}

const COMMAND_WORDS = new Set([
  'etcd',
  'status',
  'recover-member',
  'restore',
  'backup',
  'list',
  'verify',
  'prune',
  'resume',
  'move',
  'schedule',
  'export',
  'render',
  'validate',
  'version',
]);

/** The command path the user typed ("backup prune"), for the hint's `--help`. */
export function commandPath(rawArgv: readonly string[]): string {
  const words: string[] = [];
  for (const token of rawArgv) {
    if (token.startsWith('-')) break;
    if (!COMMAND_WORDS.has(token)) break;
    words.push(token);
  }
  return words.join(' ');
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * yargs's unknown-argument message in the user's words, or undefined when `message` is not one.
 * A name the user typed as a flag is shown as typed (--ca-bundle, -x); the camelCase twins yargs
 * adds are dropped; a word that is not a flag (an unknown command, an extra argument) stays as is.
 */
export function unknownArgumentsMessage(message: string, rawArgv: readonly string[]): string | undefined {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return undefined;
  const typed = new Map<string, string>();
  for (const token of rawArgv) {
    if (token === '--') break;
    const long = /^--(?:no-)?([^=]+)/.exec(token);
    if (long?.[1]) typed.set(long[1], token.split('=')[0] as string);
    else if (/^-[^-\d]/.test(token)) for (const c of token.slice(1).split('=')[0] ?? '') typed.set(c, `-${c}`);
  }
  const names = (m[1] ?? '').split(', ').filter((n) => n !== '');
  const shown: string[] = [];
  for (const name of names) {
    if (/[A-Z]/.test(name) && !typed.has(name) && (names.includes(kebab(name)) || typed.has(kebab(name)))) continue;
    const text = typed.get(name) ?? name;
    if (!shown.includes(text)) shown.push(text);
  }
  const flags = shown.every((s) => s.startsWith('-'));
  const noun = flags ? 'flag' : 'argument';
  return `unknown ${noun}${shown.length === 1 ? '' : 's'}: ${shown.join(', ')}`;
}
