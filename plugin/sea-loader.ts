/**
 * Start-up of the single executable and of the checkout build. Node's own SEA code cache
 * (`useCodeCache`) and its module compile cache hold only the functions V8 compiles eagerly, so
 * every function that `--help` or `version` runs (yargs, the command tree) would still be
 * compiled at each start. Instead the entry is a small loader: the bundle and a V8 code cache
 * *trained* at build time (taken after the bundle ran `--help` and `version`, so it holds those
 * functions) are assets, SEA assets in the executable or files beside the checkout's loader, and
 * the loader compiles the bundle with that cache. V8 accepts the cache only from the same V8
 * build and flags, hence only for the Node that trained it; a rejected or absent cache just
 * means compiling.
 *
 * Both sides wrap the bundle identically (same text, same file name), or V8 rejects the cache.
 *
 * The command handlers, YAML and the adapters of the Kubernetes and AWS SDKs are bundles of their
 * own (LAZY_MODULES, plugin/sea-bundle.ts), compiled without a cache when a command first needs
 * them: the cache of the main bundle, which V8 deserializes at every start, then holds nothing
 * of them.
 */

/**
 * Node flags of every hcp-dr process: the SEA's execArgv, the checkout's plugin/ scripts (kept
 * equal by a unit test), and the code-cache trainer. A backup streams a snapshot through the
 * process at 100+ MiB/s; V8 then grows its young generation to 16 MiB semi-spaces, about 40 MiB
 * of RSS for short-lived objects. Capped at 1 MiB, the peak RSS of a 1 GiB backup fell from
 * 227 to 172 MiB at the same transfer rate (bench/backup.ts); start-up is unchanged.
 * A young generation that small promotes the buffers in flight (exec frames, sealed age pieces)
 * to the old one, and V8 counts their bytes against an old-generation limit only about 9 MiB
 * above the ~15 MiB heap: a 1.4 GiB backup ran 168 full collections (204 encrypted), 4 to 7 s of
 * CPU on V8's helper threads. A limit 100% above the heap instead of V8's own ~60% left 45 (58),
 * about two thirds of that CPU saved. 200% left 5, but the dead buffers a larger limit lets pile
 * up raised an encrypted backup's peak RSS past 200 MiB (bench/backup-encoded.ts); 100% kept it
 * at 185-190.
 */
export const NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=100'];
export const BUNDLE_ASSET = 'hcp-dr.cjs';
export const CACHE_ASSET = 'hcp-dr.cache';
/** How the bundles require a lazy module or a module shared with the main bundle. */
export const SEA_MODULE_PREFIX = 'hcp-dr-sea:';
/** The main bundle's export holding the source modules the lazy bundles share with it. */
export const SHARED_EXPORT = 'hcpDrSharedModules';
/**
 * Source modules (relative to src/, without .ts) that src/ only imports lazily, each a bundle of
 * its own: the SDK adapters, YAML, and the command handlers (every cli/commands/<verb>/*-run.ts, which
 * a unit test checks), so that the main bundle is yargs and the command tree.
 */
export const LAZY_MODULES = [
  'kube/session',
  'kube/client-node-auth',
  's3/store',
  'core/yaml',
  ...[
    'backup/backup-run',
    'backup/backup-all-run',
    'backup/backup-read-run',
    'backup/backup-prune-run',
    'etcd/etcd-run',
    'etcd/etcd-recover-run',
    'etcd/etcd-restore-run',
    'drill/drill-run',
    'export/export-run',
    'move/move-run',
    'render/render-run',
    'restore/restore-run',
    'resume/resume-run',
    'schedule/schedule-run',
    'validate/validate-run',
  ].map((m) => `cli/commands/${m}`),
];
/** Lazy module -> the asset (file) of its bundle. */
export const LAZY_ASSETS: Record<string, string> = Object.fromEntries(LAZY_MODULES.map((m) => [m, `hcp-dr-${m.replace(/\//g, '-')}.cjs`]));
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '\n})';
const FILENAME = 'hcp-dr.cjs';

/**
 * A loader's source (CommonJS). `readAsset` is a JS expression for `(name) => Buffer` that throws
 * when the asset is missing; `origin` is what the bundle sees as __filename.
 * HCP_DR_LOADER_DEBUG=1 reports on stderr whether V8 took the cache, the Node flags, and each lazy
 * module loaded.
 */
function loaderSource(readAsset: string, origin: string): string {
  return `'use strict';
const vm = require('node:vm');
const path = require('node:path');
const readAsset = ${readAsset};
const origin = ${origin};
const debug = process.env.HCP_DR_LOADER_DEBUG ? (line) => process.stderr.write('hcp-dr loader: ' + line + '\\n') : () => {};
// esbuild writes ASCII (non-ASCII is escaped), so latin1 is an exact and cheap decoding.
const wrap = (name) => ${JSON.stringify(WRAP_HEAD)} + readAsset(name).toString('latin1') + ${JSON.stringify(WRAP_TAIL)};
let cachedData;
try { cachedData = readAsset(${JSON.stringify(CACHE_ASSET)}); } catch { cachedData = undefined; }
const script = new vm.Script(wrap(${JSON.stringify(BUNDLE_ASSET)}), { filename: ${JSON.stringify(FILENAME)}, cachedData });
debug('code cache ' + (cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted'));
debug('node flags ' + process.execArgv.join(' '));
const lazy = new Map(Object.entries(${JSON.stringify(LAZY_ASSETS)}));
const loaded = new Map();
function bundleRequire(id) {
  if (!id.startsWith(${JSON.stringify(SEA_MODULE_PREFIX)})) return require(id);
  const name = id.slice(${SEA_MODULE_PREFIX.length});
  if (!lazy.has(name)) return mod.exports[${JSON.stringify(SHARED_EXPORT)}][name];
  if (!loaded.has(name)) {
    const asset = lazy.get(name);
    const lazyModule = { exports: {} };
    new vm.Script(wrap(asset), { filename: asset }).runInThisContext()(lazyModule.exports, bundleRequire, lazyModule, origin, path.dirname(origin));
    loaded.set(name, lazyModule.exports);
    debug('loaded ' + name);
  }
  return loaded.get(name);
}
const mod = { exports: {} };
script.runInThisContext()(mod.exports, bundleRequire, mod, origin, path.dirname(origin));
`;
}

/** The SEA main script: assets come from the executable (`require` loads built-ins only). */
export const LOADER_SOURCE = loaderSource("(name) => Buffer.from(require('node:sea').getRawAsset(name))", 'process.execPath');

/** Where the checkout build (plugin/build.ts) puts the bundles and the cache, beside its loader. */
export const CHECKOUT_ASSET_DIR = 'app';
/** The checkout's loader (dist/hcp-dr.cjs): the same bundles and trained cache, as files. */
export const CHECKOUT_LOADER_SOURCE = loaderSource(
  `(name) => require('node:fs').readFileSync(path.join(__dirname, ${JSON.stringify(CHECKOUT_ASSET_DIR)}, name))`,
  '__filename',
);

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
