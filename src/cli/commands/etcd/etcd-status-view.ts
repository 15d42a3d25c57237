/** The table form of `etcd status`: a header block, then members, pods and conditions. */
import type { EtcdStatusReport } from '../../../core/etcd/status.ts';
import type { EtcdSummary } from '../../../core/etcd/status-all.ts';
import { ageText, type BackupFreshness } from '../../../core/etcd/freshness.ts';
import { drillText } from '../../../core/bundle/drill-record.ts';
import { commandName, type Host } from '../../host.ts';
import { renderTable } from '../../output.ts';
import { dash, humanAge, humanBytes } from '../../format.ts';

export function renderEtcdStatus(r: EtcdStatusReport, host: Host): string {
  let out = renderHeader(r) + '\n' + renderMembers(r) + '\n' + renderPods(r);
  const conditions = [
    ...r.conditions.hostedCluster.map((c) => ({ ...c, on: 'HostedCluster' })),
    ...r.conditions.hostedControlPlane.map((c) => ({ ...c, on: 'HostedControlPlane' })),
  ];
  if (conditions.length) {
    out +=
      '\n' +
      renderTable(
        ['CONDITION', 'OBJECT', 'STATUS', 'REASON', 'MESSAGE'],
        conditions.map((c) => [c.type, c.on, c.status, dash(c.reason), dash(c.message)]),
      );
  }
  for (const w of r.warnings) out += `\nwarning: ${w}\n`;
  if (r.verdict.hint) out += `\nhint: ${r.verdict.hint.replaceAll('{cmd}', commandName(host))}\n`;
  return out;
}

/** The block above the tables: the cluster, the verdict, the StatefulSet, backups, alarms; one blank line after. */
function renderHeader(r: EtcdStatusReport): string {
  const hc = r.hostedCluster;
  const header = [
    ['HOSTED CLUSTER', `${hc.namespace}/${hc.name} (${hc.availabilityPolicy})`],
    ['CONTROL PLANE', hc.controlPlaneNamespace],
    ['VERDICT', `${r.verdict.state}: ${r.verdict.reason}`],
    ['STATEFULSET', `${r.statefulSet.readyReplicas}/${r.statefulSet.replicas} ready`],
    ['QUOTA', humanBytes(r.quotaBytes)],
    ['ETCD VERSION', r.versions.length ? r.versions.join(', ') : 'unknown'],
    [
      'LAST BACKUP',
      r.lastSuccessfulBackup ? `${humanAge(r.lastSuccessfulBackup.ageSeconds)} ago (${r.lastSuccessfulBackup.url})` : 'none recorded',
    ],
  ];
  if (r.backups) header.push(['NEWEST IN BUCKET', freshnessText(r.backups)]);
  if (r.backups?.newest) header.push(['LAST DRILL', drillText(r.backups.newest.drill)]);
  if (r.alarms.length) header.push(['ALARMS', r.alarms.map((a) => `${a.alarm} on ${a.member}`).join(', ')]);
  const width = Math.max(...header.map(([k]) => (k ?? '').length)) + 3;
  return header.map(([k, v]) => `${(k ?? '').padEnd(width)}${v}`).join('\n') + '\n';
}

/** One row per etcd member: identity, sizes, raft, health, hash. */
function renderMembers(r: EtcdStatusReport): string {
  return renderTable(
    [
      'MEMBER',
      'ID',
      'POD',
      'LEADER',
      'LEARNER',
      'VERSION',
      'DB SIZE',
      'IN USE',
      'FRAG',
      'HEADROOM',
      'TERM',
      'INDEX',
      'APPLIED',
      'HEALTH',
      'TOOK',
      'HASH',
      'HASH REV',
    ],
    r.members.map((m) => [
      m.name || '(unstarted)',
      m.id,
      dash(m.pod),
      m.leader ? 'true' : 'false',
      m.learner ? 'true' : 'false',
      dash(m.version),
      humanBytes(m.dbSizeBytes),
      humanBytes(m.dbSizeInUseBytes),
      m.fragmentationPercent === null ? '-' : `${m.fragmentationPercent}%`,
      humanBytes(m.quotaHeadroomBytes),
      dash(m.raftTerm),
      dash(m.raftIndex),
      dash(m.raftAppliedIndex),
      m.healthy === null ? 'unknown' : m.healthy ? 'healthy' : `unhealthy${m.error ? ` (${m.error})` : ''}`,
      dash(m.took === null ? null : roundDuration(m.took)),
      dash(m.hash),
      dash(m.hashRevision),
    ]),
  );
}

function renderPods(r: EtcdStatusReport): string {
  return renderTable(
    ['POD', 'PHASE', 'READY', 'RESTARTS', 'REASON'],
    r.pods.map((p) => [
      p.name,
      p.phase,
      p.ready ? 'true' : 'false',
      String(p.restarts),
      p.execError ? `exec failed: ${p.execError}` : dash(p.waitingReason),
    ]),
  );
}

export function renderEtcdSummary(s: EtcdSummary): string {
  if (s.items.length === 0) return 'No HostedClusters found.\n';
  // The backup columns only with --backups: the HostedCluster's own record beside the bucket's newest.
  if (!s.items.some((i) => i.backups)) {
    return renderTable(
      ['NAMESPACE', 'NAME', 'VERDICT', 'HEALTHY', 'REASON'],
      s.items.map((i) => [i.namespace, i.name, i.state, i.members, i.reason]),
    );
  }
  return renderTable(
    ['NAMESPACE', 'NAME', 'VERDICT', 'HEALTHY', 'LAST BACKUP (HC)', 'NEWEST IN BUCKET', 'REASON'],
    s.items.map((i) => [
      i.namespace,
      i.name,
      i.state,
      i.members,
      i.lastSuccessfulBackup ? humanAge(i.lastSuccessfulBackup.ageSeconds) : '-',
      i.backups
        ? `${i.backups.newest ? humanAge(i.backups.newest.ageSeconds) : 'none'}${i.backups.stale ? ' (stale)' : ''}${i.backups.newest?.drill ? `, drill ${i.backups.newest.drill.result}` : ''}`
        : '-',
      i.reason,
    ]),
  );
}

/** "3h12m ago (s3://.../<id>/)", marked stale beyond --max-backup-age. */
function freshnessText(f: BackupFreshness): string {
  const limit = f.maxAgeSeconds === null ? '' : `, limit ${ageText(f.maxAgeSeconds)}`;
  if (!f.newest) return `none in ${f.source}${f.stale ? ` (STALE${limit})` : ''}`;
  return `${humanAge(f.newest.ageSeconds)} ago (${f.newest.url})${f.stale ? ` (STALE${limit})` : ''}`;
}

/** etcd's Go durations to one decimal for the table ("24.82313ms" -> "24.8ms"); -o json keeps them raw. */
export function roundDuration(took: string): string {
  const match = /^(\d+(?:\.\d+)?)(ns|µs|us|ms|s|m|h)$/.exec(took);
  return match ? `${Number(Number(match[1]).toFixed(1))}${match[2]}` : took;
}
