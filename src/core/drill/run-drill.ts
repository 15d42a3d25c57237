/**
 * `drill`: restores a backup's snapshot into a throwaway etcd on a management cluster and proves
 * it (result.ts lists the checks), then removes everything it created and writes drill.json
 * beside the backup. It never reads or changes the hosted cluster's control plane beyond the
 * etcd StatefulSet's image (read, when backup.json does not name it), and touches no DNS.
 *
 * Contract: resolves with the result whether the backup passed or failed (failed checks are the
 * answer, not an error); throws when the drill could not be carried out (backup unreadable, the
 * pod would not start, interrupted), after the runner removed what it created.
 */
import { PreconditionError } from '../errors.ts';
import { Etcd, Resources } from '../model.ts';
import type { Clock, Cluster, ObjectStore, Reporter } from '../ports.ts';
import { runWorkflow } from '../operation/runner.ts';
import type { DrillOperation } from '../operation/record.ts';
import { backupKey, BackupFiles } from '../bundle/layout.ts';
import type { BackupManifest } from '../bundle/manifest.ts';
import { readDrillManifest } from './bundle.ts';
import { drillWorkflow } from './phases.ts';
import { defaultScratchNamespace } from './pod.ts';
import { CheckList, DRILL_FILE, DRILL_KIND, type DrillResult } from './result.ts';
import { readDrillRecord, removeScratchNamespace, scratchNamespaceStore } from './store.ts';
import type { DrillState } from './steps.ts';

export interface DrillInput {
  /** The backup's store as written (drill.json goes here) and as read (`plain`: encoded objects decoded). */
  store: ObjectStore;
  plain: ObjectStore;
  prefix: string;
  /** backup.json as the caller already read it at `prefix` (read here when absent). */
  manifest?: BackupManifest | undefined;
  /** The scratch namespace (default hcp-dr-drill-<name>). */
  namespace?: string | undefined;
  /** The etcd image (default: backup.json's, else the control plane's etcd StatefulSet's). */
  image?: string | undefined;
  keep: boolean;
  context: string;
  toolVersion: string;
  waitTimeoutMs: number;
}

export interface DrillDeps extends Cluster {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  step?: ((name: string) => void) | undefined;
  /** `{cmd} resume <name> -n <scratch namespace> ...`, built by the CLI for hints. */
  resumeCommand: (namespace: string) => string;
}

export async function runDrill(input: DrillInput, deps: DrillDeps): Promise<DrillResult> {
  const manifest = input.manifest ?? (await readDrillManifest(input.plain, input.prefix, deps.signal));
  const hc = manifest.hostedCluster;
  const namespace = input.namespace ?? defaultScratchNamespace(hc.name);
  await cleanDeadDrill(namespace, input, deps);
  const image = input.image ?? manifest.etcd.image ?? (await liveEtcdImage(deps, hc.controlPlaneNamespace));
  if (!image)
    throw new PreconditionError(
      `failed to drill ${input.store.url(input.prefix)}/: backup.json names no etcd image and ${hc.controlPlaneNamespace} has no etcd StatefulSet to read it from`,
      {
        hint: "pass the etcd image of the backup's release with --etcd-image",
      },
    );
  const state: DrillState = {
    ...deps,
    label: `drill of ${hc.namespace}/${hc.name} backup ${manifest.id}`,
    namespace,
    image,
    store: input.plain,
    prefix: input.prefix,
    snapshotKey: backupKey(input.prefix, manifest.snapshot.file || BackupFiles.snapshot),
    manifest,
    keep: input.keep,
    waitTimeoutMs: input.waitTimeoutMs,
    checks: new CheckList(),
    timings: { download: 0, restore: 0, start: 0 },
    keysByType: {},
    finished: false,
  };
  const startedAt = deps.clock.now();
  const operation: DrillOperation = {
    id: `drill-${startedAt.getTime().toString(36)}`,
    type: 'drill',
    startedAt: startedAt.toISOString(),
    phase: 'started',
    toolVersion: input.toolVersion,
    backup: `${input.store.url(input.prefix)}/`,
    hostedCluster: `${hc.namespace}/${hc.name}`,
    scratchNamespace: namespace,
    keep: input.keep,
  };
  await runWorkflow(drillWorkflow, state, operation, {
    store: scratchNamespaceStore({ ...deps, namespace, keep: () => state.keep && state.finished, waitTimeoutMs: input.waitTimeoutMs }),
    reporter: deps.reporter,
    clock: deps.clock,
    signal: deps.signal,
    step: deps.step,
    resumeCommand: deps.resumeCommand(namespace),
  });
  const result = drillResult(state, input, manifest, startedAt, deps.clock.now());
  await input.store.put(backupKey(input.prefix, DRILL_FILE), JSON.stringify(result, null, 2) + '\n', { contentType: 'application/json' });
  return result;
}

/** A re-run in the namespace of a drill that died: its leftovers go first (as `resume` would). */
async function cleanDeadDrill(namespace: string, input: DrillInput, deps: DrillDeps): Promise<void> {
  const dead = readDrillRecord(await deps.api.get(Resources.namespace, '', namespace));
  if (!dead) return;
  deps.reporter.info(`namespace ${namespace} holds drill ${dead.id} (phase ${dead.phase}) that did not finish: removing it first`);
  await removeScratchNamespace({ ...deps, namespace, waitTimeoutMs: input.waitTimeoutMs });
}

async function liveEtcdImage(deps: DrillDeps, controlPlaneNamespace: string): Promise<string | undefined> {
  const sts = await deps.api.get(Resources.statefulSet, controlPlaneNamespace, Etcd.statefulSet).catch(() => undefined);
  const containers = (sts?.['spec'] as { template?: { spec?: { containers?: { name?: string; image?: string }[] } } } | undefined)?.template
    ?.spec?.containers;
  return (containers?.find((c) => c.name === 'etcd') ?? containers?.[0])?.image;
}

function drillResult(s: DrillState, input: DrillInput, m: BackupManifest, startedAt: Date, finishedAt: Date): DrillResult {
  const checks = s.checks.list(s.broken ? `skipped: ${s.broken}` : 'not reached');
  const rto = s.timings.download + s.timings.restore + s.timings.start;
  return {
    apiVersion: 'hcp-dr.openshift.io/v1alpha1',
    kind: DRILL_KIND,
    backup: `${input.store.url(input.prefix)}/`,
    backupId: m.id,
    hostedCluster: `${m.hostedCluster.namespace}/${m.hostedCluster.name}`,
    result: checks.some((c) => c.result === 'fail') ? 'Failed' : 'Passed',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    rto: {
      downloadSeconds: round(s.timings.download),
      restoreSeconds: round(s.timings.restore),
      startSeconds: round(s.timings.start),
      rtoSeconds: round(rto),
    },
    checks,
    keysByType: s.keysByType,
    etcdImage: s.image,
    scratchNamespace: s.namespace,
    context: input.context,
    toolVersion: input.toolVersion,
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
