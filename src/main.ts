/**
 * Composition root and the only place that prints errors and exits.
 * Heavy SDKs (client-node, AWS) are imported lazily by the adapters' factories, so
 * `--help` and `version` load neither.
 */
import { runCli } from './cli/index.ts';
import { hostFromInvocation } from './cli/host.ts';
import { formatError, exitCodeOf } from './cli/exit.ts';
import { createStderrReporter } from './cli/reporter.ts';
import { realDeps } from './deps.ts';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const verbose = argv.some((a) => a === '-v' || a === '--verbose' || /^--verbose=(true|1)$/.test(a) || /^-v+$/.test(a));
  const host = hostFromInvocation(process.env['HCP_DR_INVOKED_AS'] ?? process.argv[1] ?? process.execPath);
  const reporter = createStderrReporter(process.stderr, { verbose });
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      // A second Ctrl-C while rollback runs: leave now; the cluster annotations allow `resume`.
      process.stderr.write(`\n${signal} again: exiting without finishing the rollback\n`);
      process.exit(130);
    }
    reporter.warn(`${signal} received: stopping and rolling back`);
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runCli(argv, realDeps({ host, reporter, signal: interrupt.signal, verbose }));
  } catch (err) {
    process.stderr.write(formatError(err, { verbose, host }));
    return exitCodeOf(err);
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
