/** The phase timings in the human output: a PHASE/SECONDS table, in backup's table at -v only. */
import { describe, expect, it } from 'vitest';
import { renderPhaseTimings } from '../../../src/cli/phase-timings.ts';
import { renderBackupResult } from '../../../src/cli/commands/backup/backup-view.ts';
import type { BackupResult } from '../../../src/core/capture/request.ts';
import { renderResume } from '../../../src/cli/commands/resume/resume-view.ts';

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

  it("resume shows what it did, and at -v the phases it ran or undid (an undo's row says so)", () => {
    const result = {
      namespace: 'clusters',
      name: 'demo',
      operation: '20261207T090000Z-abc123',
      actions: ['scaled kube-apiserver to 3', 'removed the record of operation 20261207T090000Z-abc123'],
      phases: [
        { phase: 'snapshotted', seconds: 0.2, undo: true as const },
        { phase: 'quiesced', seconds: 4.26, undo: true as const },
      ],
    };
    const text = renderResume(result);
    expect(text).toBe(
      'resumed clusters/demo (operation 20261207T090000Z-abc123):\n  - scaled kube-apiserver to 3\n' +
        '  - removed the record of operation 20261207T090000Z-abc123\n',
    );
    expect(renderResume(result, true)).toBe(`${text}PHASE              SECONDS\nundo snapshotted   0.2\nundo quiesced      4.3\n`);
    // Nothing ran (a record at the lock alone): no empty table.
    expect(renderResume({ ...result, phases: [] }, true)).toBe(text);
  });
});
