/** The move's snapshot file on a source member: removed by every rollback and resume. */
import { removeSnapshot } from '../etcd/pod-snapshot.ts';
import type { Cluster, Reporter } from '../ports.ts';

/** Removes the move's snapshot file from the source member's volume (rm -f: safe when it is gone). */
export async function removeSnapshotFile(
  source: Cluster,
  cp: string,
  snapshot: { member: string; path: string },
  actions: string[],
  reporter: Reporter,
): Promise<void> {
  await removeSnapshot({ exec: source.exec, namespace: cp, pod: snapshot.member }, snapshot.path).then(
    () => actions.push(`removed ${snapshot.path} from pod ${cp}/${snapshot.member} (if it was there)`),
    (e: unknown) => reporter.warn(`could not remove ${snapshot.path} from pod ${cp}/${snapshot.member}: ${(e as Error).message}`),
  );
}
