/**
 * The dependency rules of src/, checked on the import lines themselves: SDKs stay in their
 * adapters, core stays independent of the CLI and the adapters, one place exits.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const full = path.join(dir, f);
    return statSync(full).isDirectory() ? sources(full) : f.endsWith('.ts') ? [full] : [];
  });
}

interface Import {
  file: string;
  spec: string;
  typeOnly: boolean;
}

const files = sources(SRC);
const imports: Import[] = files.flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gms))
    found.push({ file, spec: m[2] ?? '', typeOnly: Boolean(m[1]) });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ file, spec: m[1] ?? '', typeOnly: false });
  return found;
});
const rel = (file: string) => path.relative(SRC, file);
const resolved = (i: Import) => (i.spec.startsWith('.') ? rel(path.resolve(path.dirname(i.file), i.spec)) : i.spec);

describe('architecture', () => {
  it('only src/kube imports @kubernetes/client-node', () => {
    const offenders = imports.filter((i) => i.spec.startsWith('@kubernetes/') && !rel(i.file).startsWith('kube/'));
    expect(offenders.map((i) => rel(i.file))).toEqual([]);
  });

  it('only src/s3 imports the AWS SDK', () => {
    const offenders = imports.filter((i) => /^@(aws-sdk|smithy)\//.test(i.spec) && !rel(i.file).startsWith('s3/'));
    expect(offenders.map((i) => rel(i.file))).toEqual([]);
  });

  it('core imports neither the CLI, the adapters, nor yargs', () => {
    const offenders = imports.filter(
      (i) => rel(i.file).startsWith('core/') && !i.typeOnly && (/^(cli|kube|s3)\//.test(resolved(i)) || i.spec.startsWith('yargs')),
    );
    expect(offenders.map((i) => `${rel(i.file)} -> ${i.spec}`)).toEqual([]);
  });

  it('the adapters import neither the CLI nor each other, not even for types', () => {
    // Connection types (KubeTarget, KubeSession, S3Target, OpenedStore) live in core/ports.ts.
    const offenders = imports.filter((i) => {
      const from = rel(i.file);
      const to = resolved(i);
      return (
        (from.startsWith('kube/') || from.startsWith('s3/')) &&
        (to.startsWith('cli/') || (from.startsWith('kube/') ? to.startsWith('s3/') : to.startsWith('kube/')))
      );
    });
    expect(offenders.map((i) => `${rel(i.file)} -> ${i.spec}`)).toEqual([]);
  });

  it('shared core modules do not depend on the workflows built on them', () => {
    // operation/, controlplane/, snapshot/ and bundle/ serve backup, restore, etcd recovery and move alike.
    const shared = /^core\/(operation|controlplane|snapshot|bundle)\//;
    const workflows = /^core\/(backup|restore|etcd-restore|move|export|render)\//;
    const offenders = imports.filter((i) => shared.test(rel(i.file)) && workflows.test(resolved(i)));
    expect(offenders.map((i) => `${rel(i.file)} -> ${i.spec}`)).toEqual([]);
  });

  it('nothing but main.ts imports the CLI at run time, and the adapters are loaded lazily', () => {
    const cliUsers = imports.filter(
      (i) => !i.typeOnly && resolved(i).startsWith('cli/') && !rel(i.file).startsWith('cli/') && rel(i.file) !== 'main.ts',
    );
    expect(cliUsers.map((i) => rel(i.file))).toEqual([]);
    const eagerAdapters = imports.filter(
      (i) => !i.typeOnly && /^(kube|s3)\//.test(resolved(i)) && !/^(kube|s3)\//.test(rel(i.file)) && !i.spec.includes('import('),
    );
    const staticAdapterImports = eagerAdapters.filter((i) => readFileSync(i.file, 'utf8').includes(`from '${i.spec}'`));
    expect(staticAdapterImports.map((i) => `${rel(i.file)} -> ${i.spec}`)).toEqual([]);
  });

  it('only main.ts exits the process', () => {
    const exiting = files.filter((f) => rel(f) !== 'main.ts' && /process\.exit\(/.test(readFileSync(f, 'utf8')));
    expect(exiting.map(rel)).toEqual([]);
  });
});
