/**
 * The drill as a workflow on the operation runner. Checks (nothing created): the backup reads
 * (backup.json, key and PKI Secrets), the etcd image is known. Changes, recorded on the scratch
 * namespace (store.ts): the pod, the restore, etcd started, the checks. There is no point of no
 * return: every failure and interrupt removes the namespace (the undo of `pod`, and the
 * store's release), and `resume` of a dead drill does the same.
 */
import { defineWorkflow } from '../operation/workflow.ts';
import { readDrillBundle } from './bundle.ts';
import { checkKeyPairs, checkKeys, checkSecrets } from './prove.ts';
import { removeScratchNamespace } from './store.ts';
import { checkRevision, copySnapshot, restoreSnapshot, startEtcd, startPod, type DrillState } from './steps.ts';

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
        await checkRevision(s, run.signal);
        await checkKeys(s, run.signal);
        await checkSecrets(s, run.signal);
        checkKeyPairs(s);
        s.finished = true;
      },
    },
  ],
});
