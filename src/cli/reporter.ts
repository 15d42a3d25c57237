/** Human-facing notices on stderr. Data goes to stdout, never here. */
import type { Writable } from 'node:stream';
import type { Reporter } from '../core/ports.ts';
import { redactSecrets } from '../core/redact.ts';

export function createStderrReporter(stream: Writable, options: { verbose: boolean }): Reporter {
  const write = (prefix: string, message: string) => stream.write(`${prefix}${redactSecrets(message)}\n`);
  return {
    info: (message) => write('', message),
    warn: (message) => write('warning: ', message),
    debug: (message) => {
      if (options.verbose) write('debug: ', message);
    },
  };
}
