/**
 * The dependency rules of src/, checked on the import lines themselves: SDKs stay in their
 * adapters, core stays independent of the CLI and the adapters, one place exits, and src/core is
 * layered (docs/ARCHITECTURE.md): base files, a middle layer of shared folders, the workflows on
 * top, with no arrow upward, none between workflows, and no circle of value imports.
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

  it('cli/commands has one folder per verb, and no verb imports another (shared flags live in src/cli/)', () => {
    const verb = (file: string) => /^cli\/commands\/([^/]+)\//.exec(file)?.[1];
    expect(files.map(rel).filter((f) => f.startsWith('cli/commands/') && !verb(f))).toEqual([]);
    const offenders = imports.filter((i) => {
      const [from, to] = [verb(rel(i.file)), verb(resolved(i))];
      return from !== undefined && to !== undefined && from !== to;
    });
    expect(offenders.map((i) => `${rel(i.file)} -> ${i.spec}`)).toEqual([]);
  });

  it('only main.ts exits the process', () => {
    const exiting = files.filter((f) => rel(f) !== 'main.ts' && /process\.exit\(/.test(readFileSync(f, 'utf8')));
    expect(exiting.map(rel)).toEqual([]);
  });
});

/** Every folder of src/core with its layer; a new folder must be added here (the test fails otherwise). */
const LAYERS: Record<string, 'base' | 'middle' | 'workflow'> = {
  // part of the base: the port types that core/ports.ts re-exports; imports base files only
  ports: 'base',
  // shared machinery: imports base files and other middle folders, never a workflow
  operation: 'middle',
  controlplane: 'middle',
  bundle: 'middle',
  snapshot: 'middle',
  etcd: 'middle',
  objects: 'middle',
  capture: 'middle',
  contracts: 'middle',
  validate: 'middle',
  crypto: 'middle',
  metrics: 'middle',
  // workflows: one command's logic each; none imports another, not even for types
  backup: 'workflow',
  restore: 'workflow',
  move: 'workflow',
  'etcd-restore': 'workflow',
  'recover-member': 'workflow',
  schedule: 'workflow',
  render: 'workflow',
  export: 'workflow',
  drill: 'workflow',
};
const RANK = { base: 0, middle: 1, workflow: 2 } as const;

interface CoreImport {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** import/export ... from and import() of src/core files, resolved; `import { type A }` counts as a type import. */
function coreImports(sourceFiles: { file: string; text: string }[]): CoreImport[] {
  const found: CoreImport[] = [];
  for (const { file, text } of sourceFiles) {
    const add = (spec: string, typeOnly: boolean) => {
      if (spec.startsWith('.')) found.push({ from: file, to: path.join(path.dirname(file), spec), typeOnly });
    };
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"]([^'"]+)['"]/gms)) {
      const names = /^\{([^}]*)\}$/.exec((m[2] ?? '').trim())?.[1];
      const allTypes = names !== undefined && names.split(',').every((n) => n.trim() === '' || /^type\s/.test(n.trim()));
      add(m[3] ?? '', Boolean(m[1]) || allTypes);
    }
    for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1] ?? '', false);
  }
  return found.filter((i) => i.from.startsWith('core/') && i.to.startsWith('core/'));
}

/** The folder of a src/core file ('' for the base files directly in src/core). */
const folderOf = (file: string) => (file.split('/').length > 2 ? (file.split('/')[1] as string) : '');
const layerOf = (folder: string): keyof typeof RANK | 'unknown' => (folder === '' ? 'base' : (LAYERS[folder] ?? 'unknown'));

/** The circles of a graph (strongly connected components of more than one node, or a node on itself). */
function circles(edges: [string, string][]): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) {
    next.set(a, [...(next.get(a) ?? []), b]);
    if (!next.has(b)) next.set(b, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (next.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** What is wrong with the layering of these imports, one line each (empty: nothing). */
function layerViolations(found: CoreImport[], folders: string[]): string[] {
  const problems: string[] = [];
  for (const f of folders) if (!LAYERS[f]) problems.push(`core/${f}/ has no layer: add it to LAYERS (middle or workflow)`);
  for (const i of found) {
    const [a, b] = [folderOf(i.from), folderOf(i.to)];
    if (a === b) continue;
    const [la, lb] = [layerOf(a), layerOf(b)];
    if (la === 'unknown' || lb === 'unknown') continue;
    if (RANK[lb] > RANK[la]) problems.push(`upward (${la} -> ${lb}): ${i.from} -> ${i.to}`);
    else if (la === 'workflow' && lb === 'workflow') problems.push(`between workflows: ${i.from} -> ${i.to}`);
  }
  const values = found.filter((i) => !i.typeOnly);
  for (const c of circles(values.map((i) => [i.from, i.to]))) problems.push(`circle of value imports among files: ${c.join(', ')}`);
  const folderEdges = values
    .filter((i) => folderOf(i.from) !== folderOf(i.to))
    .map((i): [string, string] => [folderOf(i.from) || '(base)', folderOf(i.to) || '(base)']);
  for (const c of circles(folderEdges)) problems.push(`circle of value imports among folders: ${c.join(', ')}`);
  return problems;
}

describe('the layers of src/core', () => {
  const coreFiles = files.filter((f) => rel(f).startsWith('core/')).map((f) => ({ file: rel(f), text: readFileSync(f, 'utf8') }));
  const folders = readdirSync(path.join(SRC, 'core')).filter((f) => statSync(path.join(SRC, 'core', f)).isDirectory());

  it('every folder has a layer; no arrow goes up, none goes between workflows, no circle of value imports', () => {
    expect(layerViolations(coreImports(coreFiles), folders)).toEqual([]);
  });

  it('the check fails on a planted violation of each kind', () => {
    const plant = (file: string, text: string) => [...coreFiles, { file, text }];
    const check = (extra: { file: string; text: string }[], more: string[] = []) =>
      layerViolations(coreImports(extra), [...folders, ...more]);
    expect(check(plant('core/etcd/x.ts', "import { runRender } from '../render/run.ts';"))).toEqual([
      'upward (middle -> workflow): core/etcd/x.ts -> core/render/run.ts',
    ]);
    expect(check(plant('core/errors2.ts', "import type { Verdict } from './etcd/verdict.ts';"))).toEqual([
      'upward (base -> middle): core/errors2.ts -> core/etcd/verdict.ts',
    ]);
    expect(check(plant('core/ports/x.ts', "import type { Verdict } from '../etcd/verdict.ts';"))).toEqual([
      'upward (base -> middle): core/ports/x.ts -> core/etcd/verdict.ts',
    ]);
    expect(check(plant('core/move/x.ts', "import type { RestoreRecord } from '../restore/record.ts';"))).toEqual([
      'between workflows: core/move/x.ts -> core/restore/record.ts',
    ]);
    expect(check(coreFiles, ['mystery'])).toEqual(['core/mystery/ has no layer: add it to LAYERS (middle or workflow)']);
    const circle = [
      ...coreFiles,
      { file: 'core/etcd/a.ts', text: "import { b } from './b.ts';" },
      { file: 'core/etcd/b.ts', text: "import { q } from '../objects/c.ts';" },
      { file: 'core/objects/c.ts', text: "export { a } from '../etcd/a.ts';" },
    ];
    expect(check(circle)).toEqual([
      'circle of value imports among files: core/etcd/a.ts, core/etcd/b.ts, core/objects/c.ts',
      'circle of value imports among folders: etcd, objects',
    ]);
    const typesOnly = [
      ...coreFiles,
      { file: 'core/etcd/a.ts', text: "import type { C } from '../objects/c.ts';" },
      { file: 'core/objects/c.ts', text: "import { type A } from '../etcd/a.ts';" },
    ];
    expect(check(typesOnly)).toEqual([]);
  });
});
