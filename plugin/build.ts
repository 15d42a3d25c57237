/**
 * Bundles src/ for running from a checkout: one ESM entry plus lazily loaded chunks, so the
 * Kubernetes and AWS adapters are parsed only by commands that use them. Dependencies stay in
 * node_modules. (The single-binary release build is plugin/package.ts.)
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };

await build({
  entryPoints: { 'hcp-dr': `${root}/src/main.ts` },
  outdir: `${root}/dist`,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  define: { __HCP_DR_VERSION__: JSON.stringify(version) },
  sourcemap: 'linked',
  logLevel: 'warning',
});
