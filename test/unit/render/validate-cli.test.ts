/**
 * `validate` through the command tree: create and update checks with the shared CRDs,
 * kube-apiserver wording on stderr, exit 3 on invalid input, and CRD sources.
 */
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeSession } from '../../../src/cli/deps.ts';
import type { KubeApi } from '../../../src/core/ports.ts';
import { CRD_DIR, FIXED_URL, OWN_FIXTURES, runHcpDr, sharedRegistry } from './helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-validate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const EXPECTED = path.join(OWN_FIXTURES, 'aws-from-backup/expected.yaml');
const expected = readFileSync(EXPECTED, 'utf8');
const withoutUrl = expected.replace(/ {8}restoreSnapshotURL:\n {8}- .*\n/, '');
const otherUrl = expected.replace(FIXED_URL, 'https://other.example.com/snapshot.db');

describe.skipIf(!sharedRegistry())('validate (shared CRDs)', () => {
  it('reports rendered manifests valid, object by object', async () => {
    const run = await runHcpDr(['validate', '-f', EXPECTED, '--crd', CRD_DIR]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^HostedCluster clusters\/demo\s+create\s+valid$/m);
    expect(run.stdout).toMatch(/^Secret clusters\/demo-pull-secret\s+-\s+not checked \(no CRD\)$/m);
  });
  it('rejects what kube-apiserver rejects, in its words, with exit 3', async () => {
    const bad = write('bad.yaml', expected.replace(`- ${FIXED_URL}`, `- ${FIXED_URL}\n        - https://second.example.com/s.db`));
    const run = await runHcpDr(['validate', '-f', bad, '--crd', path.join(CRD_DIR, 'hostedclusters-Hypershift-Default.crd.yaml')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'HostedCluster.hypershift.openshift.io "demo" is invalid: [spec.etcd.managed.storage.restoreSnapshotURL: Too many: 2: must have at most 1 item',
    );
    expect(run.stdout).toMatch(/^HostedCluster clusters\/demo\s+create\s+invalid \(2 errors\)$/m);
  });
  it('checks an update against --old: restoreSnapshotURL is immutable and cannot be added', async () => {
    const changed = await runHcpDr(['validate', '-f', write('new.yaml', otherUrl), '--old', EXPECTED, '--crd', CRD_DIR]);
    expect(changed.code).toBe(3);
    expect(changed.stderr).toContain(
      'spec.etcd.managed.storage.restoreSnapshotURL: Invalid value: "array": restoreSnapshotURL is immutable',
    );
    const added = await runHcpDr(['validate', '-f', EXPECTED, '--old', write('old.yaml', withoutUrl), '--crd', CRD_DIR]);
    expect(added.code).toBe(3);
    expect(added.stderr).toContain('restoreSnapshotURL cannot be added or removed after creation');
    expect(added.stdout).toMatch(/^HostedCluster clusters\/demo\s+update\s+invalid/m);
  });
  it('checks against the live objects with --against-cluster', async () => {
    const live = (await import('../../../src/core/objects/documents.ts'))
      .parseManifests(withoutUrl, 'live')
      .find((o) => o.kind === 'HostedCluster');
    const asked: string[] = [];
    const api = {
      get: async (type, namespace, name) => {
        asked.push(`${type.plural}/${namespace}/${name}`);
        return type.plural === 'hostedclusters' ? live : undefined;
      },
      describeTarget: () => 'test',
    } as Partial<KubeApi> as KubeApi;
    const session = {
      api,
      exec: { exec: async () => ({ exitCode: 0, stdout: '', stderr: '' }) },
      namespace: 'clusters',
      namespaceExplicit: true,
      contextName: 't',
    } satisfies KubeSession;
    const run = await runHcpDr(['validate', '-f', EXPECTED, '--crd', CRD_DIR, '--against-cluster'], { connectKube: async () => session });
    expect(asked).toEqual(['hostedclusters/clusters/demo', 'nodepools/clusters/demo-us-east-1a']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('restoreSnapshotURL cannot be added or removed after creation');
  });
  it('-o json prints the report', async () => {
    const run = await runHcpDr(['validate', '-f', EXPECTED, '--crd', CRD_DIR, '-o', 'json']);
    const report = JSON.parse(run.stdout) as { valid: boolean; objects: unknown[] };
    expect(report.valid).toBe(true);
    expect(report.objects).toHaveLength(5);
  });
});

describe('validate without CRDs', () => {
  it('fails with exit 3 when no CRDs can be loaded, and 2 when --crd holds none', async () => {
    const none = await runHcpDr(['validate', '-f', EXPECTED]);
    expect([none.code, none.stderr]).toEqual([
      3,
      expect.stringMatching(/failed to load CRDs: could not read CRDs from the cluster: no cluster in this test\nhint: pass --crd/),
    ]);
    const empty = await runHcpDr([
      'validate',
      '-f',
      EXPECTED,
      '--crd',
      write('empty.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n'),
    ]);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringMatching(/no CustomResourceDefinition found/)]);
    const missing = await runHcpDr(['validate', '-f', EXPECTED, '--crd', path.join(tmp, 'nope')]);
    expect([missing.code, missing.stderr]).toEqual([
      2,
      expect.stringMatching(/failed to read --crd .*nope: no such file or directory\nhint: /),
    ]);
  });
});

describe('validate flags', () => {
  it('refuses a repeated -f with exit 2', async () => {
    const run = await runHcpDr(['validate', '-f', EXPECTED, '-f', EXPECTED, '--crd', CRD_DIR]);
    expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/^error: -?-f(ilename)? given 2 times; pass it once/)]);
  });
});
