/** `etcd status` on the sandbox, end to end through the plugin entry: median of 10 runs. Target ≤ 1.5 s. */
import path from 'node:path';
import { REPO_ROOT, startSandbox } from '../test/sandbox/sandbox.ts';
import { emit, median, timedRun } from './lib.ts';

const sb = await startSandbox();
try {
  const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
  const args = ['etcd', 'status', 'demo', '-n', 'clusters', '--kubeconfig', sb.kubeconfig];
  for (let i = 0; i < 2; i++) await timedRun(entry, args);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const run = await timedRun(entry, args);
    if (run.code !== 0) throw new Error(`etcd status exited ${run.code}: ${run.stderr}`);
    times.push(run.ms);
  }
  const ms = median(times);
  emit({
    bench: 'etcd status',
    metric: 'median wall time, 3-member sandbox (10 runs)',
    value: Math.round(ms),
    unit: 'ms',
    target: '≤ 1500 ms',
    met: ms <= 1500,
  });
} finally {
  await sb.stop();
}
