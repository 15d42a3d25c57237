/** The phase timings in the human output: a PHASE/SECONDS table, in backup's table at -v only. */
import { describe, expect, it } from 'vitest';
import { renderPhaseTimings } from '../../../src/cli/phase-timings.ts';
import { renderBackupResult } from '../../../src/cli/commands/backup/backup-view.ts';
import type { BackupResult } from '../../../src/core/capture/request.ts';

const phases = [
  { phase: 'preflight', seconds: 0.42 },
  { phase: 'quiesced', seconds: 3.05 },
  { phase: 'uploaded', seconds: 12 },
];

describe('phase timings in the human output', () => {
  it('one row per phase, in order, to one decimal', () => {
    expect(renderPhaseTimings(phases)).toBe('PHASE       SECONDS\npreflight   0.4\nquiesced    3.0\nuploaded    12.0\n');
  });

  it('backup shows them at -v only', () => {
    const result = {
      url: 's3://b/hcp/clusters/demo/x/',
      phases,
      manifest: {
        hostedCluster: { namespace: 'clusters', name: 'demo' },
        mode: 'quiesce',
        apiDowntimeSeconds: 3,
        etcd: { member: 'etcd-1' },
        snapshot: { revision: 7, totalKeys: 9, size: 2048, sha256: 'ab' },
        secrets: [],
      },
    } as unknown as BackupResult;
    expect(renderBackupResult(result)).not.toMatch(/PHASE/);
    const verbose = renderBackupResult(result, true);
    expect(verbose.startsWith(renderBackupResult(result))).toBe(true);
    expect(verbose).toMatch(/\nPHASE {7}SECONDS\npreflight {3}0\.4\nquiesced {4}3\.0\nuploaded {4}12\.0\n$/);
  });
});
