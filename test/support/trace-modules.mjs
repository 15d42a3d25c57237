// Preloaded with --import: appends every module URL the process resolves to $HCP_DR_TRACE_FILE.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.HCP_DR_TRACE_FILE;
registerHooks({
  resolve(specifier, context, nextResolve) {
    const result = nextResolve(specifier, context);
    if (out) appendFileSync(out, `${result.url}\n`);
    return result;
  },
});
