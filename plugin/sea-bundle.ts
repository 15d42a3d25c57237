/**
 * The single-file CommonJS bundle that goes into the Node SEA blob: src/main.ts with every
 * dependency inside, minified. Inside a SEA, `require()` loads only Node's built-in modules and
 * prints a one-time warning for anything else, so optional modules that libraries probe with
 * `try { require(x) } catch {}` are replaced at build time by a stub that throws the same
 * MODULE_NOT_FOUND error (the libraries then take their pure-JS path, silently). Any other
 * non-built-in module left external fails the build instead of failing at run time.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fastStringWidth, fastWrapAnsi } from './fast-help-layout.ts';
import { SEA_MODULE_PREFIX, SHARED_EXPORT } from './sea-loader.ts';

/** Optional modules probed by dependencies (or their transitive dependencies), and why. */
export const OPTIONAL_MODULES: Record<string, string> = {
  bufferutil: 'ws: native frame masking; ws falls back to JS',
  'utf-8-validate': 'ws: native UTF-8 check; ws falls back to buffer.isUtf8',
  '@aws-sdk/signature-v4-crt': 'AWS SDK: CRT signer for SigV4a (multi-region access points); not used',
  'aws-crt': 'AWS SDK: native CRT bindings; not used',
  encoding: 'node-fetch: legacy charset conversion; not used',
  'supports-color': 'debug: colour detection; plain output is fine',
};

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const STUB_NAMESPACE = 'hcp-dr-optional-stub';
const BUILTIN_NAMESPACE = 'hcp-dr-dynamic-builtin';
const LAZY_NAMESPACE = 'hcp-dr-lazy-module';

/** Resolves the optional modules to a module that throws like a missing package would. */
export function optionalModuleStubs(names: string[] = Object.keys(OPTIONAL_MODULES), onStub: (name: string) => void = () => {}): Plugin {
  const escaped = names.map(escapeRegExp);
  const filter = new RegExp(`^(${escaped.join('|')})(/.*)?$`);
  return {
    name: 'hcp-dr-optional-stubs',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: STUB_NAMESPACE }));
      b.onLoad({ filter: /.*/, namespace: STUB_NAMESPACE }, (args) => {
        onStub(args.path);
        const message = `Cannot find module '${args.path}' (not bundled into hcp-dr)`;
        return { loader: 'js', contents: `var e=new Error(${JSON.stringify(message)});e.code="MODULE_NOT_FOUND";throw e;` };
      });
    },
  };
}

export interface SeaBundleOptions {
  entry: string;
  outfile: string;
  version: string;
  minify?: boolean;
  /**
   * Modules (paths relative to the entry's directory, without .ts) that the entry only imports
   * lazily, each bundled into its own file named after its asset (next to outfile). See
   * bundleForSea.
   */
  lazy?: Record<string, string>;
}

export interface SeaBundleResult {
  outfile: string;
  bytes: number;
  inputs: number;
  stubbed: string[];
  /** Asset name -> file, one per lazy module. */
  lazyBundles: Record<string, string>;
}

const builtins = new Set(builtinModules);
const isBuiltin = (p: string) => p.startsWith('node:') || builtins.has(p);

/**
 * `import('node:https')` of a built-in stays a real dynamic import in a CommonJS bundle (esbuild
 * keeps external dynamic imports), and code compiled by the loader's vm.Script has no dynamic
 * import callback: it fails with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING at run time, never in
 * tests that run the source. Each such import (ours and the SDKs') becomes a bundled module that
 * requires the built-in, so the bundle keeps its lazy semantics without `import()`.
 */
const dynamicBuiltinImports: Plugin = {
  name: 'hcp-dr-dynamic-builtins',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' && isBuiltin(args.path) ? { path: args.path, namespace: BUILTIN_NAMESPACE } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, (args) => ({
      loader: 'js',
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
    }));
  },
};

/** Imports the loader cannot satisfy at run time: external non-built-ins, and any dynamic import left. */
export function unloadableImports(outputs: { imports: { path: string; kind: string; external?: boolean }[] }[]): string[] {
  const found = new Set<string>();
  for (const output of outputs) {
    for (const imp of output.imports) {
      if (!imp.external) continue;
      if (imp.kind === 'dynamic-import') found.add(`import('${imp.path}')`);
      else if (!isBuiltin(imp.path) && !imp.path.startsWith(SEA_MODULE_PREFIX)) found.add(imp.path);
    }
  }
  return [...found].sort();
}

/** yargs's `require('assert')` resolves to a shim that loads node:assert only on a failed check. */
const lazyAssertForYargs: Plugin = {
  name: 'hcp-dr-lazy-assert',
  setup(b) {
    const shim = fileURLToPath(new URL('./shims/assert-lazy.cjs', import.meta.url));
    b.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      /[\\/]node_modules[\\/]yargs[\\/]/.test(args.importer) ? { path: shim } : undefined,
    );
  },
};

function commonOptions(options: SeaBundleOptions): BuildOptions {
  return {
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node24',
    // CommonJS builds of dual packages: the ESM builds of some (client-s3) break when bundled to CJS.
    mainFields: ['main', 'module'],
    minify: options.minify ?? true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // In a CJS bundle `import.meta` is empty: code that needs its URL gets the executable's
    // (the shim is injected only where `import.meta.url` is used; a banner would also push
    // esbuild's "use strict" out of the directive position).
    inject: [fileURLToPath(new URL('./shims/import-meta-url.ts', import.meta.url))],
    define: {
      __HCP_DR_VERSION__: JSON.stringify(options.version),
      'import.meta.url': 'hcpDrImportMetaUrl',
    },
  };
}

/**
 * One CommonJS bundle of `entry`, or, with `lazy`, a main bundle plus one bundle per lazy module.
 * V8 deserializes a script's whole code cache at each start, and that cache holds an entry for
 * every function of every module compiled, run or not: the SDKs, the CEL evaluator and the
 * workflows slowed every `--help` (moving the command handlers out cut the cache from 371 to
 * 271 KB and `--help` by about 2 ms of CPU). A bundle requires a lazy module as
 * `hcp-dr-sea:<module>`, which the loader compiles on first use. A lazy bundle leaves the
 * source modules that the main bundle holds (error classes: `instanceof` must see one class)
 * external as `hcp-dr-sea:<module>` too, and bundles every other module it needs; the main
 * bundle exports the shared modules (SHARED_EXPORT) for the loader to hand out.
 */
export async function bundleForSea(options: SeaBundleOptions): Promise<SeaBundleResult> {
  const stubbed = new Set<string>();
  const entryDir = dirname(resolve(options.entry));
  const lazy = options.lazy ?? {};
  const lazyBundles: Record<string, string> = {};
  const shared = new Set<string>();
  const results = [];
  const lazyFilter = new RegExp(
    `^(${Object.keys(lazy)
      .map((m) => escapeRegExp(join(entryDir, `${m}.ts`)))
      .join('|')})$`,
  );
  // A stub module that requires the lazy one: an external `import()` would stay a real dynamic
  // import, which code compiled by vm.Script cannot do. Used by every bundle, lazy ones included.
  const lazyRefs: Plugin = {
    name: 'hcp-dr-lazy-modules',
    setup(b) {
      if (Object.keys(lazy).length === 0) return;
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const target = resolve(args.resolveDir, args.path);
        return lazyFilter.test(target) ? { path: seaModuleId(entryDir, target), namespace: LAZY_NAMESPACE } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: LAZY_NAMESPACE }, (args) => ({
        loader: 'js',
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
      }));
      b.onResolve({ filter: new RegExp(`^${escapeRegExp(SEA_MODULE_PREFIX)}`) }, (args) => ({ path: args.path, external: true }));
    },
  };
  const mainPlugins = [
    dynamicBuiltinImports,
    optionalModuleStubs(undefined, (name) => stubbed.add(name)),
    lazyAssertForYargs,
    fastStringWidth,
    fastWrapAnsi,
    lazyRefs,
  ];
  // First pass, not written: which source modules the main bundle holds.
  const probe = await build({
    ...commonOptions(options),
    entryPoints: [options.entry],
    outfile: options.outfile,
    write: false,
    plugins: mainPlugins,
  });
  const inMain = new Set(
    Object.keys(probe.metafile?.inputs ?? {})
      .filter((f) => !f.includes(':') && !f.includes('node_modules/'))
      .map((f) => resolve(f)),
  );
  for (const [module, asset] of Object.entries(lazy)) {
    const outfile = join(dirname(options.outfile), asset);
    const result = await build({
      ...commonOptions(options),
      entryPoints: [join(entryDir, `${module}.ts`)],
      outfile,
      plugins: [
        dynamicBuiltinImports,
        optionalModuleStubs(undefined, (name) => stubbed.add(name)),
        lazyRefs,
        externalSources(inMain, entryDir, shared),
      ],
    });
    results.push(result);
    lazyBundles[asset] = outfile;
  }
  const sharedList = [...shared].sort();
  const entry = resolve(options.entry);
  const stdin =
    sharedList.length === 0
      ? undefined
      : {
          contents:
            sharedList.map((m, i) => `import * as m${i} from ${JSON.stringify(join(entryDir, `${m}.ts`))};`).join('\n') +
            `\nexport const ${SHARED_EXPORT} = { ${sharedList.map((m, i) => `${JSON.stringify(m)}: m${i}`).join(', ')} };` +
            `\nimport ${JSON.stringify(entry)};\n`,
          resolveDir: entryDir,
          sourcefile: 'sea-main.ts',
          loader: 'ts' as const,
        };
  const main = await build({
    ...commonOptions(options),
    ...(stdin ? { stdin } : { entryPoints: [options.entry] }),
    outfile: options.outfile,
    plugins: mainPlugins,
  });
  results.push(main);
  const leftovers = unloadableImports(results.flatMap((result) => Object.values(result.metafile?.outputs ?? {})));
  if (leftovers.length > 0) {
    throw new Error(
      `the SEA bundle would load modules its loader cannot: ${leftovers.join(', ')}\n` +
        'bundle them, or stub them in OPTIONAL_MODULES (plugin/sea-bundle.ts) if they are optional; ' +
        'a dynamic import() must resolve inside the bundle (vm.Script has no dynamic import callback)',
    );
  }
  return {
    outfile: options.outfile,
    bytes: statSync(options.outfile).size,
    inputs: Object.keys(main.metafile?.inputs ?? {}).length,
    stubbed: [...stubbed].sort(),
    lazyBundles,
  };
}

function seaModuleId(entryDir: string, file: string): string {
  return SEA_MODULE_PREFIX + relative(entryDir, file).replace(/\\/g, '/').replace(/\.ts$/, '');
}

/**
 * In a lazy bundle: source modules that the main bundle already holds stay external, required
 * from it (and are recorded for it to export), so that there is one copy of each, one identity
 * for `instanceof`; every other source module is bundled into the lazy bundle.
 */
function externalSources(inMain: Set<string>, entryDir: string, shared: Set<string>): Plugin {
  return {
    name: 'hcp-dr-shared-sources',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const target = resolve(args.resolveDir, args.path);
        if (!inMain.has(target)) return undefined;
        const id = seaModuleId(entryDir, target);
        shared.add(id.slice(SEA_MODULE_PREFIX.length));
        return { path: id, external: true };
      });
    },
  };
}
