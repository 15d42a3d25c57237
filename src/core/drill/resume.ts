/**
 * `resume` of a drill that died (SIGKILL, a lost machine): its record is on the scratch
 * namespace, so `{cmd} resume <name> -n <scratch namespace>` finds it there. A drill has no
 * point of no return: resume removes everything it created (the namespace) and its record.
 */
import { ForbiddenError } from '../errors.ts';
import { Resources } from '../model.ts';
import { resumeWorkflow } from '../operation/runner.ts';
import type { ResumeDeps, ResumeResult } from '../operation/resume.ts';
import { drillWorkflow } from './phases.ts';
import { CheckList } from './result.ts';
import type { DrillState } from './steps.ts';
import { readDrillRecord, scratchNamespaceStore } from './store.ts';

const WAIT_MS = 5 * 60_000;

/** The drill recorded on namespace `namespace` undone; undefined when that namespace holds no drill record. */
export async function resumeDrillIn(namespace: string, name: string, deps: ResumeDeps): Promise<ResumeResult | undefined> {
  let ns;
  try {
    ns = await deps.api.get(Resources.namespace, '', namespace);
  } catch (err) {
    if (err instanceof ForbiddenError) return undefined; // may not read namespaces: then it is no drill of this user's
    throw err;
  }
  const record = readDrillRecord(ns);
  if (!record) return undefined;
  const state = {
    api: deps.api,
    exec: deps.exec,
    clock: deps.clock,
    reporter: deps.reporter,
    label: `drill ${record.id} of ${record.hostedCluster ?? 'a backup'}`,
    namespace,
    keep: false,
    finished: false,
    waitTimeoutMs: WAIT_MS,
    checks: new CheckList(),
    timings: { download: 0, restore: 0, start: 0 },
    keysByType: {},
  } as unknown as DrillState;
  await resumeWorkflow(drillWorkflow, state, record, {
    store: scratchNamespaceStore({ ...state, keep: () => false }),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    resumeCommand: deps.resumeCommand ?? `{cmd} resume ${name} -n ${namespace}`,
  });
  return {
    namespace,
    name,
    operation: record.id,
    actions: [`removed what drill ${record.id} left (it stopped at phase ${record.phase}): namespace ${namespace}`],
  };
}
