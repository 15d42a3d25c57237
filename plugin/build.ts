/**
 * Builds src/ for running from a checkout the way the release binary runs it (see
 * plugin/sea-loader.ts): dist/hcp-dr.cjs is the loader; dist/app/ holds the main bundle, the
 * lazily loaded bundles of the Kubernetes and AWS adapters, and a V8 code cache trained by the
 * Node running this build (the pinned one under npm). Not minified, so stack traces under -v
 * name real functions. (The single-binary release build is plugin/package.ts.)
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForSea } from './sea-bundle.ts';
import { BUNDLE_ASSET, CACHE_ASSET, CHECKOUT_ASSET_DIR, CHECKOUT_LOADER_SOURCE, LAZY_ASSETS } from './sea-loader.ts';
import { trainCodeCache } from './sea.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const assets = join(dist, CHECKOUT_ASSET_DIR);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

// Start clean, keeping the release build's directories (dist/sea, dist/release).
mkdirSync(dist, { recursive: true });
for (const f of readdirSync(dist, { withFileTypes: true })) if (f.isFile()) rmSync(join(dist, f.name));
rmSync(assets, { recursive: true, force: true });

const bundle = await bundleForSea({
  entry: join(root, 'src', 'main.ts'),
  outfile: join(assets, BUNDLE_ASSET),
  version,
  minify: false,
  lazy: LAZY_ASSETS,
});
trainCodeCache(bundle.outfile, join(assets, CACHE_ASSET));
writeFileSync(join(dist, 'hcp-dr.cjs'), CHECKOUT_LOADER_SOURCE);
