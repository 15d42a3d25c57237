import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForSea } from '../../../plugin/sea-bundle.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SEA bundle', () => {
  it('stubs optional modules so that they fail like a missing package, and defines the version', async () => {
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(entry, `declare const __HCP_DR_VERSION__: string;
let probe = 'loaded';
try { require('bufferutil'); } catch (e) { probe = (e as { code?: string }).code ?? 'no code'; }
export const result = { probe, version: __HCP_DR_VERSION__, url: import.meta.url };
`);
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
});
