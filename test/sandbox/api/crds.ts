/**
 * Loads CustomResourceDefinition YAML files (e.g. ../shared/hypershift/crds) into the store. Registration
 * with the Registry happens through the store subscription set up in server.ts, so CRDs created later
 * over the API are served the same way.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { MemoryStore } from './store.ts';
import type { GroupResource, SimObject } from './types.ts';

export const CRDS: GroupResource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

/** Parsed documents per file path: several simulators in one process (the multi-cluster sandbox) parse each CRD file once. */
const parsed = new Map<string, Promise<unknown[]>>();

async function parseFile(file: string): Promise<unknown[]> {
  const st = await stat(file);
  const key = `${file}\0${st.mtimeMs}\0${st.size}`; // a changed file is parsed again
  let docs = parsed.get(key);
  if (!docs) {
    docs = readFile(file, 'utf8').then((text) => yaml.loadAll(text));
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
