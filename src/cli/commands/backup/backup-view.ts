/** Table forms of backup results and plans. */
import type { BackupPlan } from '../../../core/capture/plan.ts';
import type { BackupResult } from '../../../core/capture/request.ts';
import { humanBytes } from '../../format.ts';
import { renderPhaseTimings } from '../../phase-timings.ts';

export function renderBackupPlan(plan: BackupPlan): string {
  return (
    [
      `PLAN for ${plan.hostedCluster} (${plan.mode}), snapshot from ${plan.member}`,
      `destination: ${plan.destination}`,
      `expected API downtime: ${plan.expectedDowntime}`,
      'steps:',
      ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
      'touches:',
      ...plan.touches.map((t) => `  - ${t}`),
      'nothing was changed (--dry-run)',
    ].join('\n') + '\n'
  );
}

/** `verbose` (-v) adds the phase timings. */
export function renderBackupResult(result: BackupResult, verbose = false): string {
  const m = result.manifest;
  const rows = [
    ['BACKUP', result.url],
    ['CLUSTER', `${m.hostedCluster.namespace}/${m.hostedCluster.name}`],
    ['MODE', m.mode],
    ['API DOWNTIME', m.apiDowntimeSeconds === null ? 'none' : `${m.apiDowntimeSeconds}s`],
    ['MEMBER', m.etcd.member],
    ['REVISION', String(m.snapshot.revision)],
    ['KEYS', String(m.snapshot.totalKeys)],
    ['SIZE', humanBytes(m.snapshot.size)],
    ['SHA256', m.snapshot.sha256],
    ['SECRETS', m.secrets.map((s) => s.name).join(', ') || 'none'],
  ];
  const table = rows.map(([k, v]) => `${(k ?? '').padEnd(14)}${v}`).join('\n') + '\n';
  return verbose ? `${table}\n${renderPhaseTimings(result.phases)}` : table;
}
