/**
 * The single-file CommonJS bundle that goes into the Node SEA blob: src/main.ts with every
 * dependency inside, minified. Inside a SEA, `require()` loads only Node's built-in modules and
 * prints a one-time warning for anything else, so optional modules that libraries probe with
 * `try { require(x) } catch {}` are replaced at build time by a stub that throws the same
 * MODULE_NOT_FOUND error (the libraries then take their pure-JS path, silently). Any other
 * non-built-in module left external fails the build instead of failing at run time.
 */
import { build, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Optional modules probed by dependencies (or their transitive dependencies), and why. */
export const OPTIONAL_MODULES: Record<string, string> = {
  bufferutil: 'ws: native frame masking; ws falls back to JS',
  'utf-8-validate': 'ws: native UTF-8 check; ws falls back to buffer.isUtf8',
  '@aws-sdk/signature-v4-crt': 'AWS SDK: CRT signer for SigV4a (multi-region access points); not used',
  'aws-crt': 'AWS SDK: native CRT bindings; not used',
  encoding: 'node-fetch: legacy charset conversion; not used',
  'supports-color': 'debug: colour detection; plain output is fine',
};

const STUB_NAMESPACE = 'hcp-dr-optional-stub';

/** Resolves the optional modules to a module that throws like a missing package would. */
export function optionalModuleStubs(
  names: string[] = Object.keys(OPTIONAL_MODULES),
  onStub: (name: string) => void = () => {},
): Plugin {
  const escaped = names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
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
}

export interface SeaBundleResult {
  outfile: string;
  bytes: number;
  inputs: number;
  stubbed: string[];
}

const builtins = new Set(builtinModules);
const isBuiltin = (p: string) => p.startsWith('node:') || builtins.has(p);

export async function bundleForSea(options: SeaBundleOptions): Promise<SeaBundleResult> {
  const stubbed = new Set<string>();
  const result = await build({
    entryPoints: [options.entry],
    outfile: options.outfile,
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
    plugins: [optionalModuleStubs(undefined, (name) => stubbed.add(name))],
  });
  const leftovers = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports) if (imp.external && !isBuiltin(imp.path)) leftovers.add(imp.path);
  }
  if (leftovers.size > 0) {
    throw new Error(
      `the SEA bundle would require modules a single executable cannot load: ${[...leftovers].join(', ')}\n` +
        'bundle them, or stub them in OPTIONAL_MODULES (plugin/sea-bundle.ts) if they are optional',
    );
  }
  return {
    outfile: options.outfile,
    bytes: statSync(options.outfile).size,
    inputs: Object.keys(result.metafile.inputs).length,
    stubbed: [...stubbed].sort(),
  };
}
