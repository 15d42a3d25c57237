/**
 * `resume` of a restore whose snapshot download failed: restoreSnapshotURL is immutable, so the
 * HostedCluster this restore created (the one carrying its record: the record is written in the
 * request that creates it) is deleted, and the restore runs again from the recorded backup with a
 * freshly pre-signed URL. The store is reached as the record says, overridden by resume's S3 flags.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import type { OpenedStore, S3Target } from '../ports.ts';
import type { ResumeDeps } from '../operation/resume.ts';
import { removeHostedCluster } from '../controlplane/failed-restore.ts';
import { DEFAULT_URL_EXPIRY_SECONDS } from '../controlplane/snapshot-url.ts';
import { readRestoreRecord } from './record.ts';
import { runRestore } from './run-restore.ts';
import type { PodLogs, RestoreResult } from '../contracts/restore.ts';

export interface Recreated {
  actions: string[];
  result: RestoreResult;
}

export async function recreateFailedRestore(
  hc: KubeObject,
  deps: ResumeDeps,
  logs: PodLogs,
  waitTimeoutMs: number,
  why: string,
): Promise<Recreated> {
  const namespace = hc.metadata.namespace ?? '';
  const name = hc.metadata.name ?? '';
  const record = readRestoreRecord(hc);
  const world = deps.world;
  if (!record || !world)
    throw new PreconditionError(`failed to resume the restore of ${namespace}/${name}: its snapshot restore failed (${why})`, {
      hint: 'run resume from the hcp-dr command line, which can reach the backup',
    });
  const via = (record as { snapshot?: { via?: Pick<S3Target, 'region' | 'endpoint' | 'pathStyle' | 'caBundle'> } }).snapshot?.via ?? {};
  const target: S3Target = { url: record.backup, ...via };
  const opened: OpenedStore = await world.openObjectStore(target);
  deps.reporter.warn(
    `the snapshot restore of ${namespace}/${name} failed (${why}): re-creating the HostedCluster this restore created, with a fresh pre-signed URL`,
  );
  const actions = await removeHostedCluster(
    { api: deps.api, clock: deps.clock, reporter: deps.reporter, signal: deps.signal, timeoutMs: waitTimeoutMs },
    namespace,
    name,
  );
  const result = await runRestore(
    {
      store: opened.store,
      prefix: opened.prefix,
      openBucket: async (bucket) => (await world.openObjectStore({ ...target, url: `s3://${bucket}` })).store,
      namespace,
      replace: false,
      dryRun: false,
      expiresInSeconds: DEFAULT_URL_EXPIRY_SECONDS,
      waitTimeoutMs,
      rerun: deps.resumeCommand ?? `{cmd} resume ${name} -n ${namespace}`,
      ...(record.toolVersion ? { toolVersion: record.toolVersion } : {}),
      ...(Object.keys(via).length ? { via } : {}),
      // resume --decrypt-with: an encrypted backup is read, and its snapshot staged again, with it.
      ...(deps.keyring ? { keyring: deps.keyring } : {}),
    },
    {
      api: deps.api,
      exec: deps.exec,
      logs,
      clock: deps.clock,
      reporter: deps.reporter,
      ...(deps.signal ? { signal: deps.signal } : {}),
      confirmReplace: () =>
        Promise.reject(new PreconditionError('the HostedCluster came back while it was re-created', { hint: 'run resume again' })),
    },
  );
  actions.push(`restored ${namespace}/${name} again from ${record.backup} with a fresh pre-signed URL`);
  return { actions, result };
}
