/** The dry run of a move: every change phase (phases.ts, by its name) and what it touches, in order (pure). */
import { controlPlaneNamespace } from '../model.ts';
import { CONTROL_PLANE_KINDS, qualifiedName } from '../objects/kinds.ts';
import { ownershipRecords } from './handoff.ts';
import type { MovePreflight } from './preflight.ts';
import type { PhaseOf } from '../operation/record.ts';
import { BACKED_UP, FROZEN_DEPLOYMENTS, type MoveRequest } from './types.ts';

export function planMove(req: MoveRequest, pre: MovePreflight): { phase: PhaseOf<'move'>; actions: string[] }[] {
  const { namespace, name } = req;
  const cp = controlPlaneNamespace(namespace, name);
  const pools = pre.nodePools.map((np) => `NodePool ${namespace}/${np.metadata.name}`);
  const host = pre.apiHostname;
  return [
    {
      phase: 'frozen',
      actions: [
        `record the move (lock, spec.pausedUntil, replicas ${Object.entries(pre.replicas)
          .map(([d, n]) => `${d}=${n}`)
          .join(', ')}) on HostedCluster ${namespace}/${name} (${req.source.context})`,
        `pause HostedCluster ${namespace}/${name}${pools.length ? ` and ${pools.join(', ')}` : ''} until now + ${Math.round(req.pauseTtlMs / 60000)}m (renewed while running)`,
        `scale ${FROZEN_DEPLOYMENTS.join(', ')} in ${cp} to 0 (the hosted cluster's API goes down)`,
      ],
    },
    {
      phase: BACKED_UP,
      actions: [
        `etcdctl snapshot save in pod ${cp}/${pre.backup.member.pod}, streamed to ${req.via.url} (SigV4, SHA-256 checked)`,
        `store the Secrets ${pre.backup.capture.secrets.map((s) => s.object.metadata.name).join(', ') || '(none)'}, the HostedCluster and NodePool manifests, and ${CONTROL_PLANE_KINDS.map(qualifiedName).join(', ')} from ${cp}`,
      ],
    },
    {
      phase: 'dns-handoff',
      actions: [
        `pause HostedCluster ${namespace}/${name}${pools.length ? ' and its NodePools' : ''} for good (spec.pausedUntil "true"): from here the move only goes forward`,
        `delete every Route in ${cp} on the source`,
        `wait until ${host} no longer resolves to ${pre.sourceAddresses.join(', ') || 'the source'} (the source's external DNS drops A ${host} and TXT ${ownershipRecords(host)[0]}), at most ${Math.round(req.dnsTimeoutMs / 1000)}s`,
      ],
    },
    {
      phase: 'restoring',
      actions: [
        `restore on ${req.destination.context}: namespaces ${namespace} and ${cp}, the Secrets, ${req.withNodes ? 'the CAPI and platform objects (--with-nodes: existing machines are adopted), ' : ''}HostedCluster ${namespace}/${name} with restoreSnapshotURL, ${req.nodes === 'keep' ? 'no NodePools (--nodes keep: the existing nodes stay in service)' : pools.join(', ') || 'no NodePools'}`,
        'wait for EtcdSnapshotRestored, verify every member by data (revision, keys, hashkv, member count)',
        req.repair === false
          ? '--no-repair: if the members are in different clusters (released etcd-init, OCPBUGS-99534), stop there (SplitBrain, exit 4) with the source paused for good; resume repairs in place and finishes'
          : 'if the members are in different clusters (released etcd-init, OCPBUGS-99534): API servers at 0, the same backup restored into every member volume in place, verified again (--no-repair stops instead)',
        `wait until ${host} resolves to the destination`,
      ],
    },
    {
      phase: 'verified',
      actions: req.keepSource
        ? ["--keep-source: remove the move's record from the source and leave it paused for good with its API servers at 0"]
        : ['the destination verified: the source is torn down next'],
    },
    {
      phase: 'tearing-down',
      actions: req.keepSource
        ? ['--keep-source: nothing (the source stays)']
        : [
            `scale every deployment and statefulset in ${cp} to 0 on the source`,
            `remove finalizers and delete ${pools.join(', ') || 'no NodePools'}, the CAPI and platform objects, HostedControlPlane ${cp}/${name}, HostedCluster ${namespace}/${name}, namespace ${cp}`,
          ],
    },
    {
      phase: 'source-removed',
      actions: [
        `delete the pods in openshift-ovn-kubernetes of the hosted cluster (its admin kubeconfig from the destination) so they reconnect`,
        `wait until the hosted cluster's Ready nodes equal its NodePool replicas (${req.nodes === 'keep' ? 'the nodes stay in service' : 'machines adopted by the destination'})`,
      ],
    },
  ];
}
