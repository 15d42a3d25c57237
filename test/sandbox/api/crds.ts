/**
 * Loads CustomResourceDefinition YAML files (e.g. ../shared/hypershift/crds) into the store. Registration
 * with the Registry happens through the store subscription set up in server.ts, so CRDs created later
 * over the API are served the same way.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import type { MemoryStore } from './store.ts';
import type { GroupResource, SimObject } from './types.ts';

export const CRDS: GroupResource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

/** Parsed documents per file path: several simulators in one process (the multi-cluster sandbox) parse each CRD file once. */
const parsed = new Map<string, Promise<unknown[]>>();

/**
 * Parsed documents as JSON in the ignored .cache/crd-json, named by the SHA-256 of the file's text:
 * every test process (one per test file) would otherwise parse the same 1.3 MB of YAML again
 * (~0.5 s). A changed text has another name; an unreadable or absent entry is parsed and written again.
 */
const JSON_CACHE = join(fileURLToPath(new URL('../../..', import.meta.url)), '.cache', 'crd-json');

/** The YAML documents of `text`, from the cache directory when there (see above), else parsed and cached. */
export async function parseCrdText(text: string, cacheDir = JSON_CACHE): Promise<unknown[]> {
  const file = join(cacheDir, `${createHash('sha256').update(text).digest('hex')}.json`);
  try {
    const docs: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (Array.isArray(docs)) return docs;
  } catch {
    /* absent or damaged: parse */
  }
  const docs = yaml.loadAll(text);
  const json = JSON.stringify(docs);
  if (!isDeepStrictEqual(JSON.parse(json), docs)) return docs; // YAML beyond JSON (a date...): never cached
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, json);
    await rename(tmp, file); // atomic: a reader sees the whole entry or none
  } catch {
    await rm(tmp, { force: true });
  }
  return docs;
}

async function parseFile(file: string): Promise<unknown[]> {
  const st = await stat(file);
  const key = `${file}\0${st.mtimeMs}\0${st.size}`; // a changed file is parsed again
  let docs = parsed.get(key);
  if (!docs) {
    docs = readFile(file, 'utf8').then((text) => parseCrdText(text));
    docs.catch(() => parsed.delete(key));
    parsed.set(key, docs);
  }
  return docs;
}

/** Stores every CRD document found in *.yaml / *.yml / *.json files of `dir`; returns their names. */
export async function loadCrdDir(store: MemoryStore, dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const names: string[] = [];
  for (const f of files) {
    const docs = await parseFile(join(dir, f));
    for (const doc of docs) {
      const o = doc as SimObject | null;
      if (!o || o.kind !== 'CustomResourceDefinition' || !o.metadata?.name) continue;
      if (store.get(CRDS, undefined, o.metadata.name))
        store.mutate(CRDS, undefined, o.metadata.name, (cur) => Object.assign(cur, { spec: o['spec'] }));
      else store.create(CRDS, o);
      names.push(o.metadata.name);
    }
  }
  return names;
}
