/**
 * Start-up of the single executable. Node's own SEA code cache (`useCodeCache`) holds only the
 * functions V8 compiles eagerly, so every function that `--help` or `version` runs (yargs,
 * the command tree) would still be compiled at each start. Instead the SEA main script is this
 * small loader: the bundle and a V8 code cache *trained* at build time (the cache is taken after
 * the bundle ran `--help` and `version`, so it holds those functions) are SEA assets, and the
 * loader compiles the bundle with that cache. V8 accepts the cache only from the same V8 build
 * and flags, hence only for the host target; a rejected or absent cache just means compiling.
 *
 * Both sides wrap the bundle identically (same text, same file name), or V8 rejects the cache.
 *
 * The adapters of the Kubernetes and AWS SDKs are bundles of their own (plugin/sea-bundle.ts),
 * compiled without a cache when a command first needs them: the cache of the main bundle, which
 * V8 deserializes at every start, then holds nothing of them.
 */
export const BUNDLE_ASSET = 'hcp-dr.cjs';
export const CACHE_ASSET = 'hcp-dr.cache';
/** How the bundles require a lazy module or a module shared with the main bundle. */
export const SEA_MODULE_PREFIX = 'hcp-dr-sea:';
/** The main bundle's export holding the source modules the lazy bundles share with it. */
export const SHARED_EXPORT = 'hcpDrSharedModules';
/** Source modules (relative to src/, without .ts) that src/ only imports lazily. */
export const LAZY_MODULES = ['kube/session', 's3/store'];
export const lazyAsset = (module: string): string => `hcp-dr-${module.replace(/\//g, '-')}.cjs`;
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '\n})';
const FILENAME = 'hcp-dr.cjs';

/** The SEA main script (CommonJS, runs inside the executable; `require` loads built-ins only). */
export const LOADER_SOURCE = `'use strict';
const sea = require('node:sea');
const vm = require('node:vm');
const path = require('node:path');
// esbuild writes ASCII (non-ASCII is escaped), so latin1 is an exact and cheap decoding.
const code = ${JSON.stringify(WRAP_HEAD)} + Buffer.from(sea.getRawAsset(${JSON.stringify(BUNDLE_ASSET)})).toString('latin1') + ${JSON.stringify(WRAP_TAIL)};
let cachedData;
try { cachedData = Buffer.from(sea.getRawAsset(${JSON.stringify(CACHE_ASSET)})); } catch { cachedData = undefined; }
const script = new vm.Script(code, { filename: ${JSON.stringify(FILENAME)}, cachedData });
if (process.env.HCP_DR_SEA_DEBUG) process.stderr.write('hcp-dr sea: code cache ' + (cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted') + '\\n');
const lazy = new Map(${JSON.stringify(LAZY_MODULES.map((m) => [m, lazyAsset(m)]))});
const loaded = new Map();
function seaRequire(id) {
  if (!id.startsWith(${JSON.stringify(SEA_MODULE_PREFIX)})) return require(id);
  const name = id.slice(${SEA_MODULE_PREFIX.length});
  if (!lazy.has(name)) return mod.exports[${JSON.stringify(SHARED_EXPORT)}][name];
  if (!loaded.has(name)) {
    const asset = lazy.get(name);
    const source = ${JSON.stringify(WRAP_HEAD)} + Buffer.from(sea.getRawAsset(asset)).toString('latin1') + ${JSON.stringify(WRAP_TAIL)};
    const lazyModule = { exports: {} };
    new vm.Script(source, { filename: asset }).runInThisContext()(lazyModule.exports, seaRequire, lazyModule, process.execPath, path.dirname(process.execPath));
    loaded.set(name, lazyModule.exports);
  }
  return loaded.get(name);
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, seaRequire, mod, process.execPath, path.dirname(process.execPath));
`;

/**
 * Build-time trainer, run by the pinned Node with `-e`: argv = bundle, cache output, then a JSON
 * list of command lines to run one after the other in this process (so the cache holds the
 * functions of all of them). Writes the cache when the process exits.
 */
export const TRAINER_SOURCE = `'use strict';
const vm = require('node:vm');
const fs = require('node:fs');
const path = require('node:path');
const [bundle, out, runs] = process.argv.slice(1);
const code = ${JSON.stringify(WRAP_HEAD)} + fs.readFileSync(bundle, 'latin1') + ${JSON.stringify(WRAP_TAIL)};
const script = new vm.Script(code, { filename: ${JSON.stringify(FILENAME)} });
const main = script.runInThisContext();
process.on('exit', () => fs.writeFileSync(out, script.createCachedData()));
const queue = JSON.parse(runs);
(function next() {
  const args = queue.shift();
  if (!args) return;
  process.argv = [process.execPath, process.execPath, ...args];
  const mod = { exports: {} };
  main(mod.exports, require, mod, process.execPath, path.dirname(process.execPath));
  setTimeout(next, 5);
})();
`;

/** What the trainer runs: the commands whose start-up matters (no cluster, no network). */
export const TRAINING_RUNS: string[][] = [['--help'], ['version'], ['etcd', '--help']];
