/**
 * The drill as a workflow on the operation runner. Checks (nothing created): the backup reads
 * (backup.json, key and PKI Secrets), the etcd image is known. Changes, recorded on the scratch
 * namespace (store.ts): the pod, the restore, etcd started, the checks. There is no point of no
 * return: every failure and interrupt removes the namespace (the undo of `pod`, and the
 * store's release), and `resume` of a dead drill does the same.
 */
import { defineWorkflow } from '../operation/workflow.ts';
import { readDrillBundle } from './bundle.ts';
import { checkKeyPairs, checkKeys, checkSecrets, secretReads } from './prove.ts';
import { removeScratchNamespace } from './store.ts';
import { checkRevision, copySnapshot, readRestored, restoreSnapshot, startEtcd, startPod, type DrillState } from './steps.ts';

export const drillWorkflow = defineWorkflow<'drill', DrillState>({
  type: 'drill',
  what: (s) => s.label,
  rolledBack: (actions) => (actions.length ? `cleaned up (${actions.join('; ')})` : 'nothing was left behind'),
  phases: [
    {
      kind: 'check',
      name: 'backup',
      async run(s, run) {
        s.bundle = await readDrillBundle(s.store, s.manifest, run.signal);
        // Bundle-only: proven here, while nothing waits on it, whatever the snapshot turns out to be.
        checkKeyPairs(s);
      },
    },
    {
      kind: 'change',
      name: 'pod',
      run: (s, run) => startPod(s, run.operation.id, run.signal),
      undoes: 'remove the scratch namespace',
      async undo(s) {
        await removeScratchNamespace(s);
        return `namespace ${s.namespace} removed`;
      },
    },
    {
      kind: 'change',
      name: 'restored',
      async run(s, run) {
        await copySnapshot(s, run.signal);
        run.step('copied');
        await restoreSnapshot(s, run.signal);
      },
    },
    { kind: 'change', name: 'etcd-started', run: (s, run) => startEtcd(s, run.signal) },
    {
      kind: 'change',
      name: 'checked',
      async run(s, run) {
        // Every read of the restored member in one exec; the checks then work on its answers.
        const reads = await readRestored(s, secretReads(), run.signal);
        checkRevision(s, reads);
        checkKeys(s, reads);
        checkSecrets(s, reads);
        s.finished = true;
      },
    },
  ],
});
