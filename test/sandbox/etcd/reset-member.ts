/**
 * HyperShift's `reset-member` init container (etcd StatefulSet, hypershift-domain.md §1.6), the
 * decision half, as the sandbox's StatefulSet controller runs it for a pod on an empty volume.
 *
 * The shipped script (control-plane-operator .../v2/assets/etcd/statefulset.yaml, the same in every
 * release) writes `new` into /etc/etcd/clusterstate/state, then, when /var/lib/data/member/snap/db is
 * missing and `etcdctl member list` through https://etcd-client:2379 answers:
 *
 *   MEMBER_ID=$(etcdctl member list -w simple | grep "${HOSTNAME}" | awk -F, '{ print $1 }')
 *   if [[ -n "${MEMBER_ID}" ]]; then
 *     etcdctl member remove "${MEMBER_ID}"
 *     etcdctl member add ${HOSTNAME} --peer-urls https://${HOSTNAME}.etcd-discovery.${NAMESPACE}.svc:2380
 *     echo "existing" > /etc/etcd/clusterstate/state
 *   fi
 *
 * §1.6 words it "a member named $HOSTNAME"; the grep runs over the whole line as the pod prints it,
 * so an entry that was added but never started (no name yet, a learner or not) is found by its peer
 * URL https://$HOSTNAME.etcd-discovery...: that is what lets HyperShift's own recovery Job (`member
 * add`, then PVC and pod deletion, §1.12/§2.2) work. The re-add is always a voting member (no
 * `--learner`). Not found: nothing is changed and the member starts `new` (its peers refuse it when
 * they know its bootstrap ID as removed). Two lines found: `member remove` gets two IDs and fails,
 * and under `set -eu` the init container exits non-zero.
 */
import type { MemberListEntry } from './etcdctl.ts';

export type ResetMemberDecision = { action: 'replace'; memberId: string } | { action: 'none' } | { action: 'fail'; reason: string };

/** One line of `etcdctl member list -w simple` as the pod prints it; `urlName` maps a sandbox URL to the pod's name for it. */
export function memberListLine(e: MemberListEntry, urlName: (url: string) => string): string {
  const urls = (list: string[]) => list.map(urlName).join(',');
  return [e.id, e.status, e.name, urls(e.peerURLs), urls(e.clientURLs), String(e.isLearner)].join(', ');
}

/** What reset-member does for pod `hostname` (etcd-N) given the member list it read. */
export function resetMemberDecision(list: MemberListEntry[], hostname: string, urlName: (url: string) => string): ResetMemberDecision {
  // grep "${HOSTNAME}": a plain substring match anywhere in the line.
  const found = list.filter((e) => memberListLine(e, urlName).includes(hostname));
  if (found.length === 0) return { action: 'none' };
  if (found.length > 1)
    return { action: 'fail', reason: `etcdctl member remove got ${found.length} member IDs (${found.map((e) => e.id).join(' ')})` };
  return { action: 'replace', memberId: found[0]!.id };
}

/** The pod-side name of each member URL of a sandbox cluster: https://127.0.0.1:<port> -> https://etcd-N.etcd-discovery.<ns>.svc:<2379|2380>. */
export function podUrlNames(members: { peerUrl: string; clientUrl: string }[], namespace: string): (url: string) => string {
  const names = new Map<string, string>();
  members.forEach((m, n) => {
    names.set(m.peerUrl, `https://etcd-${n}.etcd-discovery.${namespace}.svc:2380`);
    names.set(m.clientUrl, `https://etcd-${n}.etcd-discovery.${namespace}.svc:2379`);
  });
  return (url) => names.get(url) ?? url;
}
