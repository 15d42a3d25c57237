/** The table form of `backup --all`: one line per HostedCluster, then the counts. */
import type { FleetBackupResult } from '../../../core/backup/fleet.ts';
import { dash, humanBytes } from '../../format.ts';
import { renderTable } from '../../output.ts';

export function renderFleetBackup(r: FleetBackupResult): string {
  const table = renderTable(
    ['NAMESPACE', 'NAME', 'RESULT', 'TIME', 'SIZE', 'REVISION', 'BACKUP / CAUSE'],
    r.items.map((i) => [
      i.namespace,
      i.name,
      i.state,
      i.seconds === null ? '-' : `${i.seconds}s`,
      i.backup ? humanBytes(i.backup.sizeBytes) : '-',
      dash(i.backup?.revision),
      i.backup?.url ?? i.error?.message ?? dash(i.detail),
    ]),
  );
  const s = r.summary;
  const counts = [
    `${s.succeeded} backed up`,
    ...(s.planned ? [`${s.planned} planned`] : []),
    `${s.failed} failed`,
    ...(s.skipped ? [`${s.skipped} skipped`] : []),
    ...(s.interrupted ? [`${s.interrupted} interrupted`] : []),
    ...(s.notStarted ? [`${s.notStarted} not started`] : []),
  ];
  const hints = r.items.filter((i) => i.error?.hint).map((i) => `hint: ${i.namespace}/${i.name}: ${i.error?.hint}`);
  return `${table}\n${s.total} HostedClusters (${r.mode}${r.dryRun ? ', dry run: nothing was changed' : ''}): ${counts.join(', ')}\n${hints.length ? hints.join('\n') + '\n' : ''}`;
}
