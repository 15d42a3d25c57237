/**
 * Composition root and the only place that prints errors and exits.
 * Heavy SDKs (client-node, AWS) are imported lazily by the adapters' factories, so
 * `--help` and `version` load neither.
 *
 * One cancellation path: SIGINT and SIGTERM abort `interrupt` (cli/signals.ts, imported first),
 * which the adapters watch: every request to the API server and every S3 request in flight is
 * cut at once, and exec sessions end through the signal each workflow passes. The workflow then
 * rolls back and the process exits 130.
 */
import { interrupt, whenSignalledAgain } from './cli/signals.ts';
import { runCli } from './cli/index.ts';
import { hostFromInvocation } from './cli/host.ts';
import { formatError, exitCodeOf, interruptedError } from './cli/exit.ts';
import { createStderrReporter } from './cli/reporter.ts';
import { realDeps } from './deps.ts';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const verbose = argv.some((a) => a === '-v' || a === '--verbose' || /^--verbose=(true|1)$/.test(a) || /^-v+$/.test(a));
  const host = hostFromInvocation(process.env['HCP_DR_INVOKED_AS'] ?? process.argv[1] ?? process.execPath);
  const reporter = createStderrReporter(process.stderr, { verbose });
  whenSignalledAgain((signal) => {
    process.stderr.write(`\n${signal} again: exiting without finishing the rollback\n`);
    process.exit(130);
  });
  try {
    // A signal while the modules loaded: nothing has started, nothing to roll back.
    interrupt.signal.throwIfAborted();
    return await runCli(argv, realDeps({ host, reporter, signal: interrupt.signal, verbose }));
  } catch (err) {
    const shown = interrupt.signal.aborted ? interruptedError(err, interrupt.signal.reason) : err;
    process.stderr.write(formatError(shown, { verbose, host }));
    return exitCodeOf(shown);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Sockets of the Kubernetes or S3 clients may keep the loop alive; the work is done.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${String(err)}\n`);
    process.exit(1);
  },
);
