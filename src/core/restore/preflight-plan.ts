/**
 * The last check of the preflight (preflight.ts): each object the restore creates is absent, or
 * there already and identical (a re-run), or kept as the operator re-issues it; every object the
 * backup does not carry exists. Objects inside what --replace deletes are re-created after it.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeApi } from '../ports.ts';
import { describe, holdsDesired } from './objects.ts';
import type { DesiredObject, PlannedObject } from '../contracts/restore.ts';

export interface PlanSlot {
  /** The HostedCluster is this restore's own, from an earlier run. */
  ours: boolean;
  /** --replace deletes the HostedCluster, its NodePools and its control-plane namespace first. */
  replacing: boolean;
  cp: string;
}

export async function planObjects(
  input: { api: KubeApi; namespace: string; name: string },
  desired: DesiredObject[],
  slot: PlanSlot,
  pass: (check: string, detail: string) => void,
): Promise<PlannedObject[]> {
  const { api, namespace, name } = input;
  const planned: PlannedObject[] = [];
  const conflicts: string[] = [];
  const missingRefs: string[] = [];
  const isReplaced = (d: DesiredObject) => slot.replacing && (d.object.metadata.namespace === slot.cp || d.step === 'node-pools');
  const lives = await Promise.all(
    desired.map((d) =>
      d.step === 'hosted-cluster' || isReplaced(d)
        ? Promise.resolve(undefined)
        : api.get(d.type, d.object.metadata.namespace ?? '', d.object.metadata.name ?? ''),
    ),
  );
  for (const [i, d] of desired.entries()) {
    const row = (action: PlannedObject['action']): PlannedObject => ({
      step: d.step,
      kind: d.type.kind,
      namespace: d.object.metadata.namespace ?? null,
      name: d.object.metadata.name ?? '',
      action,
      origin: d.origin,
    });
    if (d.step === 'hosted-cluster') {
      planned.push(row(slot.ours ? 'exists' : 'create'));
      continue;
    }
    const replaced = isReplaced(d);
    const live = lives[i];
    if (d.mustExist) {
      if (live && !replaced) planned.push(row('exists'));
      else missingRefs.push(describe(d) + (replaced ? ' (--replace deletes it)' : ''));
    } else if (!live) planned.push(row('create'));
    else if (d.step === 'namespaces' || d.keepExisting || holdsDesired(live, d.object)) planned.push(row('exists'));
    else conflicts.push(describe(d));
  }
  if (conflicts.length) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: ${conflicts.join(', ')} already exist${conflicts.length === 1 ? 's' : ''} with other content than the backup's`,
      {
        hint: 'a different encryption key or PKI would leave the restored data unreadable: delete or rename these objects if they are stale, or restore into another namespace with -n',
      },
    );
  }
  if (missingRefs.length) {
    throw new PreconditionError(
      `failed to restore ${namespace}/${name}: the backup does not carry ${missingRefs.join(', ')}, and ${missingRefs.length === 1 ? 'it does' : 'they do'} not exist on ${api.describeTarget()}`,
      {
        hint: 'the backup predates carrying referenced Secrets/ConfigMaps: create them in the namespace first (e.g. the pull secret), or take a new backup with this version',
      },
    );
  }
  pass(
    'objects',
    `${planned.filter((p) => p.action === 'create').length} to create, ${planned.filter((p) => p.action === 'exists').length} already there and identical`,
  );
  return planned;
}
