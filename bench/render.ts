/**
 * `render` plus offline validation of one cluster, end to end through the plugin entry
 * (start-up included; target ≤ 300 ms), and validation throughput in objects per second.
 * Needs HyperShift's CRDs from ../shared (read in place, never copied).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, SHARED_CRDS } from '../test/sandbox/sandbox.ts';
import { loadAllYaml } from '../src/core/yaml.ts';
import { compileCrds, validateObject } from '../src/core/validate/index.ts';
import { emit, median, timedRun } from './lib.ts';

if (!existsSync(SHARED_CRDS)) {
  console.log(`skipped: HyperShift CRDs not found at ${SHARED_CRDS}`);
  process.exit(0);
}
const input = path.join(REPO_ROOT, 'test/fixtures/render/aws-from-backup/input.yaml');
const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-bench-render-'));
try {
  const keyFile = path.join(dir, 'key');
  writeFileSync(keyFile, Buffer.alloc(32, 7).toString('base64'), { mode: 0o600 });
  const args = [
    'render',
    '-f',
    input,
    '--snapshot-url',
    'https://bucket.s3.us-east-1.amazonaws.com/hcp/snapshot.db?X-Amz-Signature=abc',
    '--encryption-key-file',
    keyFile,
    '--crd',
    SHARED_CRDS,
  ];
  const entry = path.join(REPO_ROOT, 'plugin/kubectl-hcp_dr');
  for (let i = 0; i < 2; i++) await timedRun(entry, args);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const run = await timedRun(entry, args);
    if (run.code !== 0) throw new Error(`render exited ${run.code}: ${run.stderr}`);
    times.push(run.ms);
  }
  const version: number[] = [];
  for (let i = 0; i < 10; i++) version.push((await timedRun(entry, ['version'])).ms);
  const ms = median(times);
  emit({
    bench: 'render',
    metric: 'render + validation of one cluster, end to end (10 runs)',
    value: Math.round(ms),
    unit: 'ms',
    baseline: { label: 'hcp-dr version', value: Math.round(median(version)) },
    target: '≤ 300 ms',
    met: ms <= 300,
  });

  const crds = readdirSync(SHARED_CRDS).flatMap((f) => loadAllYaml(readFileSync(path.join(SHARED_CRDS, f), 'utf8'), f)) as object[];
  const registry = compileCrds(crds);
  const objects = (loadAllYaml(readFileSync(input, 'utf8'), input) as { kind: string }[]).filter(
    (o) => o.kind === 'HostedCluster' || o.kind === 'NodePool',
  );
  for (let i = 0; i < 50; i++) for (const o of objects) validateObject(registry, o);
  const n = 2000;
  const start = performance.now();
  for (let i = 0; i < n; i++) validateObject(registry, objects[i % objects.length] as object);
  const perSecond = n / ((performance.now() - start) / 1000);
  emit({
    bench: 'validate',
    metric: 'validation throughput (HostedCluster and NodePool, schema + CEL)',
    value: Math.round(perSecond),
    unit: 'objects/s',
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
