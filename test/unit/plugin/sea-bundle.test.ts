import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import vm from 'node:vm';
import { bundleForSea, unloadableImports } from '../../../plugin/sea-bundle.ts';
import { LAZY_MODULES } from '../../../plugin/sea-loader.ts';
import { REPO_ROOT } from '../../sandbox/sandbox.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SEA bundle', () => {
  it('stubs optional modules so that they fail like a missing package, and defines the version', async () => {
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `declare const __HCP_DR_VERSION__: string;
let probe = 'loaded';
try { require('bufferutil'); } catch (e) { probe = (e as { code?: string }).code ?? 'no code'; }
export const result = { probe, version: __HCP_DR_VERSION__, url: import.meta.url };
`,
    );
    const out = path.join(dir, 'out.cjs');
    const r = await bundleForSea({ entry, outfile: out, version: '9.9.9' });
    expect(r.stubbed).toEqual(['bufferutil']);
    const m = createRequire(import.meta.url)(out) as { result: { probe: string; version: string; url: string } };
    expect(m.result).toEqual({ probe: 'MODULE_NOT_FOUND', version: '9.9.9', url: `file://${out}` });
  });

  it('fails the build on a non-built-in module left external', async () => {
    const entry = path.join(dir, 'bad.ts');
    writeFileSync(entry, `try { require('some-native-addon-hcp-dr'); } catch {}\n`);
    await expect(bundleForSea({ entry, outfile: path.join(dir, 'bad.cjs'), version: '0' })).rejects.toThrow(/some-native-addon-hcp-dr/);
  });

  it('turns a dynamic import() of a built-in into a require, so code compiled by vm.Script can run it', async () => {
    const entry = path.join(dir, 'dynamic.ts');
    writeFileSync(entry, `export const load = async () => (await import('node:os')).EOL;\n`);
    const out = path.join(dir, 'dynamic.cjs');
    await bundleForSea({ entry, outfile: out, version: '0' });
    // As the loader runs a bundle: vm.Script without a dynamic import callback.
    const wrapped = new vm.Script(
      `(function (exports, require, module, __filename, __dirname) {${readFileSync(out, 'utf8')}\n})`,
    ).runInThisContext() as (e: object, r: NodeJS.Require, m: { exports: { load: () => Promise<string> } }, f: string, d: string) => void;
    const mod = { exports: {} as { load: () => Promise<string> } };
    wrapped(mod.exports, createRequire(import.meta.url), mod, out, dir);
    await expect(mod.exports.load()).resolves.toBe(os.EOL);
  });

  it('the build check names any dynamic import left external, and non-built-ins', () => {
    expect(
      unloadableImports([
        {
          imports: [
            { path: 'node:https', kind: 'dynamic-import', external: true },
            { path: 'node:fs', kind: 'require-call', external: true },
            { path: 'left-pad', kind: 'require-call', external: true },
            { path: './bundled.ts', kind: 'dynamic-import' },
          ],
        },
      ]),
    ).toEqual(["import('node:https')", 'left-pad']);
  });

  it('a lazy bundle holds its own modules and requires those of the main bundle from it', async () => {
    const src = path.join(dir, 'split');
    const file = (name: string, text: string) => writeFileSync(path.join(src, name), text);
    mkdirSync(src, { recursive: true });
    file('shared.ts', 'export class SharedError extends Error {}\n');
    file('only-lazy.ts', 'export const ONLY_LAZY_MARKER = "only-lazy-marker";\n');
    file(
      'lazy.ts',
      'import { SharedError } from "./shared.ts";\nimport { ONLY_LAZY_MARKER } from "./only-lazy.ts";\nexport const run = () => [new SharedError(), ONLY_LAZY_MARKER];\n',
    );
    file(
      'entry.ts',
      'import { SharedError } from "./shared.ts";\n(globalThis as Record<string, unknown>).hcpDrTest = [SharedError, async () => (await import("./lazy.ts")).run];\n',
    );
    const r = await bundleForSea({
      entry: path.join(src, 'entry.ts'),
      outfile: path.join(dir, 'split-out', 'main.cjs'),
      version: '0',
      minify: false,
      lazy: { lazy: 'lazy.cjs' },
    });
    const main = readFileSync(r.outfile, 'utf8');
    const lazy = readFileSync(r.lazyBundles['lazy.cjs'] ?? '', 'utf8');
    expect(main).not.toContain('only-lazy-marker');
    expect(main).toContain('require("hcp-dr-sea:lazy")');
    expect(lazy).toContain('only-lazy-marker');
    expect(lazy).toContain('require("hcp-dr-sea:shared")');
    expect(lazy).not.toContain('class SharedError');
  });
});

describe('lazy modules of the release and checkout builds', () => {
  it('every command handler (src/cli/commands/<verb>/*-run.ts) is a lazy module, and every lazy module exists', () => {
    const handlers = readdirSync(path.join(REPO_ROOT, 'src/cli/commands'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('-run.ts'))
      .map((f) => `cli/commands/${f.slice(0, -3).split(path.sep).join('/')}`);
    expect(handlers.length).toBeGreaterThan(3);
    for (const h of handlers) expect(LAZY_MODULES).toContain(h);
    for (const m of LAZY_MODULES) expect(existsSync(path.join(REPO_ROOT, 'src', `${m}.ts`)), m).toBe(true);
  });
});
