/**
 * Fields a restore must carry over from the backup, whatever the fresh render says. Each
 * pin overwrites the input's value with the backup's and returns a warning when they
 * differed, so a person sees every change the render made beyond the restore edits.
 */
import type { RestoreFacts } from './facts.ts';
import { sortKeys } from '../objects/documents.ts';

type Spec = Record<string, unknown>;
type Obj = Record<string, unknown>;

function obj(parent: Obj, key: string): Obj {
  const value = parent[key];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Obj;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(value);
}

/** Applies every pin the facts hold to `spec` (of `what`, e.g. `HostedCluster clusters/demo`). */
export function pinFromBackup(spec: Spec, facts: RestoreFacts, what: string): string[] {
  const warnings: string[] = [];
  const differs = (field: string, had: unknown, want: unknown, why: string) =>
    warnings.push(`${what}: ${field} is ${show(had)} in the input and ${show(want)} in the ${facts.origin}: using the backup's (${why})`);

  if (facts.infraID !== undefined && spec['infraID'] !== facts.infraID) {
    differs('spec.infraID', spec['infraID'], facts.infraID, 'cloud resources and DNS records are tagged with it');
    spec['infraID'] = facts.infraID;
  }
  if (facts.apiServerHostname !== undefined) warnings.push(...pinApiServerHostname(spec, facts.apiServerHostname, differs, what));
  if (facts.etcdStorage !== undefined) {
    const storage = obj(obj(obj(spec, 'etcd'), 'managed'), 'storage');
    for (const [key, want] of Object.entries(facts.etcdStorage)) {
      if (key === 'persistentVolume' && typeof want === 'object' && want !== null) {
        const pv = obj(storage, 'persistentVolume');
        for (const [pvKey, pvWant] of Object.entries(want as Obj)) {
          if (!same(pv[pvKey], pvWant)) {
            differs(
              `spec.etcd.managed.storage.persistentVolume.${pvKey}`,
              pv[pvKey],
              pvWant,
              'etcd storage is immutable and the snapshot must fit',
            );
            pv[pvKey] = pvWant;
          }
        }
      } else if (!same(storage[key], want)) {
        differs(`spec.etcd.managed.storage.${key}`, storage[key], want, 'etcd storage is immutable');
        storage[key] = want;
      }
    }
  }
  return warnings;
}

type Differs = (field: string, had: unknown, want: unknown, why: string) => void;

/** The APIServer entry of spec.services: route.hostname or loadBalancer.hostname by type. */
function pinApiServerHostname(spec: Spec, hostname: string, differs: Differs, what: string): string[] {
  const services = Array.isArray(spec['services']) ? (spec['services'] as Obj[]) : [];
  const index = services.findIndex((s) => s && s['service'] === 'APIServer');
  const entry = services[index];
  if (!entry) return [`${what}: spec.services has no APIServer entry; the backup's API server hostname ${hostname} is not set`];
  const strategy = obj(entry, 'servicePublishingStrategy');
  const type = strategy['type'];
  const sub = type === 'Route' ? 'route' : type === 'LoadBalancer' ? 'loadBalancer' : undefined;
  if (!sub) {
    return [
      `${what}: the APIServer is published as ${show(type)}, which has no hostname; the backup's API server hostname ${hostname} is not set`,
    ];
  }
  const current = obj(strategy, sub)['hostname'];
  if (current !== hostname) {
    differs(
      `spec.services[${index}].servicePublishingStrategy.${sub}.hostname`,
      current,
      hostname,
      'clients and nodes reach the API server under this name',
    );
    obj(strategy, sub)['hostname'] = hostname;
  }
  return [];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
