/**
 * Two build-time fast paths for the help screens that yargs lays out through cliui, each exact
 * for the text hcp-dr prints (printable ASCII, no escape sequences) and falling back to the
 * library for anything else. At start-up this code runs in V8's interpreter, where per-character
 * loops are what `--help` pays for.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * yargs renders help through cliui and wrap-ansi, which call string-width once per character;
 * each call runs two large regular expressions. Printable ASCII (all of hcp-dr's help) is as
 * wide as it is long, so that case is answered directly and anything else goes to string-width
 * (saves about 2 ms of every `--help`).
 */
export const fastStringWidth: Plugin = {
  name: 'hcp-dr-fast-string-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, async (args) => {
      if (args.pluginData === 'real') return undefined;
      const real = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'real' });
      // The real path travels as pluginData: a path in the bundle would name the build machine.
      return { path: 'string-width', namespace: 'hcp-dr-string-width', pluginData: real.path };
    });
    b.onLoad({ filter: /.*/, namespace: 'hcp-dr-string-width' }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.pluginData as string),
      contents:
        `const full = require(${JSON.stringify(args.pluginData)});\n` +
        'const width = (s) => (typeof s === "string" && /^[\\x20-\\x7e]*$/.test(s) ? s.length : full(s));\n' +
        'module.exports = width;\nmodule.exports.default = width;\n',
    }));
  },
};

/**
 * wrap-ansi 7 ends by copying its result one character at a time to re-open ANSI styles and
 * links at line breaks. A string with no ESC/CSI character has none to re-open, and the copy
 * equals the input: return it at once. The build fails if wrap-ansi no longer has that code.
 */
const WRAP_ANSI_ANCHOR = "\tconst pre = [...rows.join('\\n')];";
export const fastWrapAnsi: Plugin = {
  name: 'hcp-dr-fast-wrap-ansi',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]wrap-ansi[\\/]index\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes(WRAP_ANSI_ANCHOR))
        throw new Error(`${args.path}: the code the help fast path patches has changed; update plugin/fast-help-layout.ts`);
      const early = "\tif (!/[\\u001B\\u009B]/.test(rows.join('\\n'))) return rows.join('\\n');\n";
      return { loader: 'js', resolveDir: dirname(args.path), contents: source.replace(WRAP_ANSI_ANCHOR, early + WRAP_ANSI_ANCHOR) };
    });
  },
};
