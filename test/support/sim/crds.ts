/**
 * Loads CustomResourceDefinition YAML files (e.g. ../shared/hypershift/crds) into the store. Registration
 * with the Registry happens through the store subscription set up in server.ts, so CRDs created later
 * over the API are served the same way.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { MemoryStore } from './store.ts';
import type { GroupResource, SimObject } from './types.ts';

export const CRDS: GroupResource = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };

/** Stores every CRD document found in *.yaml / *.yml / *.json files of `dir`; returns their names. */
export async function loadCrdDir(store: MemoryStore, dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const names: string[] = [];
  for (const f of files) {
    const docs = yaml.loadAll(await readFile(join(dir, f), 'utf8'));
    for (const doc of docs) {
      const o = doc as SimObject | null;
      if (!o || o.kind !== 'CustomResourceDefinition' || !o.metadata?.name) continue;
      if (store.get(CRDS, undefined, o.metadata.name)) store.mutate(CRDS, undefined, o.metadata.name, (cur) => Object.assign(cur, { spec: o['spec'] }));
      else store.create(CRDS, o);
      names.push(o.metadata.name);
    }
  }
  return names;
}
