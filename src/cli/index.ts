/**
 * The command tree. A fresh yargs instance per call, commands registered explicitly (a bundled
 * binary has no directory to scan), usage failures turned into UsageError (exit 2).
 * Commands return their exit code; errors propagate to main.ts.
 */
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { UsageError } from '../core/errors.ts';
import type { CliDeps } from './deps.ts';
import { commandName } from './host.ts';
import { globalOptions, joinDashValues } from './global-flags.ts';
import { EXIT_CODES_HELP } from './exit-codes-help.ts';
import { commandPath, lastValueWins, unknownArgumentsMessage } from './argv.ts';
import { versionCommand } from './commands/version/version.ts';
import { etcdCommand } from './commands/etcd/etcd.ts';
import { backupCommand } from './commands/backup/backup.ts';
import { resumeCommand } from './commands/resume/resume.ts';
import { renderCommand } from './commands/render/render.ts';
import { validateCommand } from './commands/validate/validate.ts';
import { exportCommand } from './commands/export/export.ts';
import { restoreCommand } from './commands/restore/restore.ts';
import { moveCommand } from './commands/move/move.ts';
import { scheduleCommand } from './commands/schedule/schedule.ts';
import { drillCommand } from './commands/drill/drill.ts';

export type CommandRegistrar = (y: Argv, deps: CliDeps, done: (code: number) => void) => Argv;

const COMMANDS: CommandRegistrar[] = [
  etcdCommand,
  backupCommand,
  resumeCommand,
  restoreCommand,
  moveCommand,
  scheduleCommand,
  drillCommand,
  exportCommand,
  renderCommand,
  validateCommand,
  versionCommand,
];

export async function runCli(rawArgv: string[], deps: CliDeps): Promise<number> {
  const argv = joinDashValues(rawArgv);
  let exitCode = 0;
  const done = (code: number) => {
    exitCode = code;
  };
  const name = commandName(deps.host);
  const usageError = (message: string | undefined) => {
    const path = commandPath(rawArgv);
    const help = `run "${name}${path ? ` ${path}` : ''} --help"`;
    return new UsageError((message && unknownArgumentsMessage(message, rawArgv)) ?? message ?? 'invalid usage', { hint: help });
  };
  // yargs checks required flags before unknown ones; a misspelled flag (--form for --from) is the
  // likelier cause, so a missing one waits until the unknown-flag check has spoken.
  let missing: UsageError | undefined;
  let parser: Argv = yargs(argv)
    .scriptName(name)
    .usage(`${name}: backup, restore and disaster recovery of HyperShift hosted control planes\n\nUsage: ${name} <command> [options]`)
    .options(globalOptions)
    .strict()
    .demandCommand(1, `a command is required; run "${name} --help"`)
    .recommendCommands()
    .help('help')
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue(EXIT_CODES_HELP)
    .exitProcess(false)
    .middleware(lastValueWins, true)
    .middleware(() => {
      if (missing) throw missing;
    })
    .fail((message: string | undefined, error: Error | undefined) => {
      if (error) throw error;
      if (!missing && message?.startsWith('Missing required argument')) {
        missing = usageError(message);
        return;
      }
      if (message && unknownArgumentsMessage(message, rawArgv)) throw usageError(message);
      throw missing ?? usageError(message);
    });
  for (const register of COMMANDS) parser = register(parser, deps, done);
  let helpShown = false;
  await parser.parseAsync(argv, {}, (err, _parsed, output) => {
    if (err) throw err;
    if (output) {
      helpShown = true;
      deps.stdout.write(output.endsWith('\n') ? output : output + '\n');
    }
  });
  if (missing && !helpShown) throw missing;
  return helpShown ? 0 : exitCode;
}
