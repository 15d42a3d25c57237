/**
 * `render` through the real command tree (in-process runCli, a CliDeps built in helpers.ts):
 * every refusal with its one-line message and exit code, secrets, determinism, output forms,
 * the --from-backup logic against an in-memory bucket, and the validation switch.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpKubeYaml } from '../../../src/core/yaml.ts';
import { CRD_DIR, FIXED_KEY_BASE64, FIXED_URL, MemoryStore, OWN_FIXTURES, runHcpDr, sharedRegistry } from './helpers.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const p = path.join(tmp, name);
  writeFileSync(p, content, { mode: 0o600 });
  return p;
};
const AWS_INPUT = path.join(OWN_FIXTURES, 'aws-from-backup/input.yaml');
const HCP_INPUT = path.join(OWN_FIXTURES, 'with-hostedcontrolplane/input.yaml');
const KEY_FILE = file('key.b64', FIXED_KEY_BASE64 + '\n');
const hasCrds = sharedRegistry() !== undefined;

const HC = (extra = '', storage = '') => `apiVersion: hypershift.openshift.io/v1beta1
kind: HostedCluster
metadata:
  name: demo
  namespace: clusters
spec:
  etcd:
    managed:
      storage:
        type: PersistentVolume${storage}
    managementType: Managed
  secretEncryption:
    aescbc:
      activeKey:
        name: demo-etcd-encryption-key
    type: aescbc${extra}
`;
const withKey = ['render', '--encryption-key-file', KEY_FILE, '--no-validate'];
const base = [...withKey, '--snapshot-url', FIXED_URL];

describe('render refuses bad input with one line and exit 2 or 3', () => {
  const cases: [string, string, string[], number, RegExp][] = [
    ['not YAML', 'kind: HostedCluster\nmetadata: [a\n', [], 2, /^error: failed to parse YAML in stdin:3:1: /],
    ['a document that is not an object', 'just text\n', [], 2, /document 1 is not a Kubernetes object/],
    [
      'no HostedCluster',
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: clusters\n',
      [],
      2,
      /contains no HostedCluster \(1 objects read\)/,
    ],
    [
      'several HostedClusters',
      `${HC()}---\n${HC().replace('name: demo\n', 'name: other\n')}`,
      [],
      2,
      /contains 2 HostedClusters \(demo, other\)/,
    ],
    ['etcd Unmanaged', HC().replace('managementType: Managed', 'managementType: Unmanaged'), [], 3, /etcd is Unmanaged/],
    [
      'an existing restoreSnapshotURL',
      HC('', '\n        restoreSnapshotURL:\n        - https://old.example.com/s.db'),
      [],
      3,
      /restoreSnapshotURL is already set and is immutable/,
    ],
    ['an http:// URL', HC(), ['--snapshot-url', 'http://bucket.example.com/snapshot.db'], 2, /http:\/\/ is not accepted/],
    ['an s3:// URL', HC(), ['--snapshot-url', 's3://bucket/snapshot.db'], 2, /cannot fetch s3:\/\/ URLs/],
    [
      'a URL over 1024 characters',
      HC(),
      ['--snapshot-url', `https://b.example.com/s.db?X-Amz-Security-Token=${'x'.repeat(1024)}`],
      2,
      /characters long and the HostedCluster CRD accepts at most 1024/,
    ],
    [
      'several snapshot URLs',
      HC(),
      ['--snapshot-url', FIXED_URL, '--snapshot-url', FIXED_URL],
      2,
      /--snapshot-url given 2 times: restoreSnapshotURL takes exactly one URL/,
    ],
  ];
  it.each(cases)('%s', async (_name, stdin, extra, code, message) => {
    const run = await runHcpDr(extra.includes('--snapshot-url') ? [...withKey, ...extra] : [...base, ...extra], { stdin });
    expect(run.code).toBe(code);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n').find((l) => l.startsWith('error: '))).toMatch(message);
    expect(run.stderr).not.toContain(FIXED_URL.split('X-Amz-Signature=')[1]);
  });

  it('the URL-length refusal hints at long-lived credentials', async () => {
    const run = await runHcpDr([...withKey, '--snapshot-url', `https://b.example.com/s.db?a=${'x'.repeat(1100)}`], { stdin: HC() });
    expect(run.stderr).toMatch(
      /hint: sign with long-lived credentials \(session tokens make pre-signed URLs much longer\) or a shorter expiry/,
    );
  });
  it('refuses without any key source', async () => {
    const run = await runHcpDr(['render', '--snapshot-url', FIXED_URL, '--no-validate'], { stdin: HC() });
    expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/the original etcd encryption key is required/)]);
  });
  it('refuses without --from-backup or --snapshot-url, --expires with --snapshot-url, and --expires over 7d', async () => {
    expect((await runHcpDr(['render'], { stdin: HC() })).stderr).toMatch(/pass --from-backup s3:\/\/\.\.\. or --snapshot-url/);
    const expires = await runHcpDr([...base, '--expires', '1h'], { stdin: HC() });
    expect([expires.code, expires.stderr]).toEqual([2, expect.stringMatching(/--expires applies to URLs hcp-dr signs/)]);
    const long = await runHcpDr(['render', '--from-backup', 's3://backups/x/', '--expires', '8d'], { stdin: HC() });
    expect([long.code, long.stderr]).toEqual([
      2,
      expect.stringMatching(/invalid --expires "8d": a pre-signed URL lives between 1s and 7d/),
    ]);
    const staged = await runHcpDr([...base, '--stage-snapshot'], { stdin: HC() });
    expect([staged.code, staged.stdout, staged.stderr]).toEqual([
      2,
      '',
      expect.stringMatching(
        /^error: --stage-snapshot stages the snapshot of a backup: it needs --from-backup\n.*hint: pass --from-backup s3:\/\/\.\.\. --stage-snapshot/s,
      ),
    ]);
  });
  it('--force replaces an existing restoreSnapshotURL, with a warning', async () => {
    const run = await runHcpDr([...base, '--force'], {
      stdin: HC('', '\n        restoreSnapshotURL:\n        - https://old.example.com/s.db'),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`restoreSnapshotURL:\n        - ${FIXED_URL}\n`);
    expect(run.stdout).not.toContain('old.example.com');
    expect(run.stderr).toMatch(/warning: HostedCluster clusters\/demo: replacing the existing .*restoreSnapshotURL \(--force\)/);
  });
  it('reads a file and names it with line and column when it is not YAML', async () => {
    const bad = file('bad.yaml', 'a: b\n  c: d\n');
    const run = await runHcpDr([...base, '-f', bad]);
    expect([run.code, run.stderr.split('\n')[0]]).toEqual([2, expect.stringMatching(new RegExp(`failed to parse YAML in ${bad}:2:4: `))]);
  });
});

describe('render output', () => {
  it('is byte-identical for the same input and URL', async () => {
    const a = await runHcpDr([...base, '-f', AWS_INPUT, '--include-secrets']);
    const b = await runHcpDr([...base, '-f', AWS_INPUT, '--include-secrets']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });
  it('writes Secrets only with --include-secrets and otherwise names those that must exist', async () => {
    const without = await runHcpDr([...base, '-f', AWS_INPUT]);
    expect(without.code).toBe(0);
    expect(without.stdout).not.toMatch(/kind: Secret/);
    expect(without.stderr).toContain(
      'Secret clusters/demo-etcd-encryption-key must exist before the HostedCluster is created: the ORIGINAL etcd encryption key',
    );
    expect(without.stderr).toContain('Secret clusters/demo-pull-secret must exist');
    const withSecrets = await runHcpDr([...base, '-f', AWS_INPUT, '--include-secrets']);
    expect(withSecrets.stdout.match(/kind: Secret/g)).toHaveLength(2);
    expect(withSecrets.stdout).toContain(`key: ${FIXED_KEY_BASE64}`);
    expect(withSecrets.stdout).not.toContain('Z2VuZXJhdGVkLWJ5LWNyZWF0ZS1jbHVzdGVyLTMyYnl0ZXM=');
    for (const run of [without, withSecrets]) expect(run.stderr).not.toContain(FIXED_KEY_BASE64);
  });
  it('emits the key Secret right before the HostedCluster when the input has none', async () => {
    const run = await runHcpDr([...base, '--include-secrets'], {
      stdin: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: clusters\n---\n${HC()}`,
    });
    const kinds = [...run.stdout.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);
    expect(kinds).toEqual(['Namespace', 'Secret', 'HostedCluster']);
  });
  it('gives the HostedControlPlane the same URL as the HostedCluster', async () => {
    const run = await runHcpDr([
      'render',
      '--snapshot-url',
      FIXED_URL,
      '--encryption-key-secret',
      'lab-original-key',
      '--no-validate',
      '-f',
      HCP_INPUT,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout.split(`restoreSnapshotURL:\n        - ${FIXED_URL}\n`)).toHaveLength(3);
    expect(run.stdout.match(/name: lab-original-key/g)).toHaveLength(2);
  });
  it('accepts the key as a Secret manifest, in base64 or raw', async () => {
    const raw = Buffer.from(FIXED_KEY_BASE64, 'base64');
    const manifest = dumpKubeYaml({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'orig-key', uid: 'x' },
      data: { key: FIXED_KEY_BASE64 },
    });
    for (const [name, content, secretName] of [
      ['k.yaml', manifest, 'orig-key'],
      ['k.raw', raw, 'demo-etcd-encryption-key'],
    ] as const) {
      const run = await runHcpDr(
        ['render', '--snapshot-url', FIXED_URL, '--encryption-key-file', file(name, content), '--include-secrets', '--no-validate'],
        { stdin: HC() },
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(
        `data:\n  key: ${FIXED_KEY_BASE64}\nkind: Secret\nmetadata:\n  name: ${secretName}\n  namespace: clusters\ntype: Opaque\n`,
      );
    }
    const bad = await runHcpDr(['render', '--snapshot-url', FIXED_URL, '--encryption-key-file', file('k.bad', 'short'), '--no-validate'], {
      stdin: HC(),
    });
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/not a Secret manifest, a base64 key or a raw 16\/24\/32-byte key/)]);
  });
  it('prints -o json as one v1 List', async () => {
    const run = await runHcpDr([...base, '-f', AWS_INPUT, '-o', 'json']);
    const list = JSON.parse(run.stdout) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['Namespace', 'HostedCluster', 'NodePool']);
    expect((await runHcpDr([...base, '-f', AWS_INPUT, '-o', 'table'])).code).toBe(2);
  });
});

describe('render validation switch', () => {
  it('says on stderr when validation is skipped, and why', async () => {
    const noCluster = await runHcpDr(['render', '--snapshot-url', FIXED_URL, '--encryption-key-file', KEY_FILE, '-f', AWS_INPUT]);
    expect(noCluster.code).toBe(0);
    expect(noCluster.stderr).toMatch(
      /warning: validation skipped: could not read CRDs from the cluster: no cluster in this test; pass --crd/,
    );
    const off = await runHcpDr([...base, '-f', AWS_INPUT]);
    expect(off.stderr).toMatch(/warning: validation skipped \(--no-validate\)/);
  });
  it.skipIf(!hasCrds)('validates with --crd and refuses an invalid result with exit 3 and kube-apiserver wording', async () => {
    const ok = await runHcpDr([
      'render',
      '--snapshot-url',
      FIXED_URL,
      '--encryption-key-file',
      KEY_FILE,
      '--crd',
      CRD_DIR,
      '-f',
      AWS_INPUT,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/validated 2 object\(s\) against the CRDs from/);
    const bad = await runHcpDr(['render', '--snapshot-url', FIXED_URL, '--encryption-key-file', KEY_FILE, '--crd', CRD_DIR], {
      stdin: HC(),
    });
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(
      /^error: failed to validate: HostedCluster\.hypershift\.openshift\.io "demo" is invalid: \[spec\.\w+: Required value/m,
    );
  });
});

describe('render --from-backup (in-memory bucket)', () => {
  const prefix = 'hcp/clusters/demo/20261121T160800Z-3f9a1c';
  function bucketWithBackup(overrides: Record<string, unknown> = {}, keyBody?: string): MemoryStore {
    const store = new MemoryStore('backups');
    const secret =
      keyBody ??
      dumpKubeYaml({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'demo-etcd-encryption-key', namespace: 'clusters' },
        data: { key: FIXED_KEY_BASE64 },
        type: 'Opaque',
      });
    store.objects.set(`${prefix}/secrets/demo-etcd-encryption-key.yaml`, Buffer.from(secret));
    store.objects.set(`${prefix}/snapshot.db`, Buffer.from('snapshot bytes'));
    // A complete backup as the one reader of a backup checks it (bundle/check.ts): manifests present, one cluster named.
    store.objects.set(
      `${prefix}/manifests/hostedcluster.yaml`,
      Buffer.from('apiVersion: hypershift.openshift.io/v1beta1\nkind: HostedCluster\nmetadata: {name: demo, namespace: clusters}\n'),
    );
    const manifest = {
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      kind: 'EtcdBackup',
      id: '20261121T160800Z-3f9a1c',
      toolVersion: '0.9.0',
      createdAt: '2026-11-21T16:08:00Z',
      manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: [] },
      secrets: [],
      hostedCluster: {
        namespace: 'clusters',
        name: 'demo',
        uid: 'u',
        infraID: 'demo-newid',
        releaseImage: 'quay.io/openshift-release-dev/ocp-release:4.20.0-x86_64',
        platform: 'AWS',
        controlPlaneNamespace: 'clusters-demo',
        apiServerHostname: 'api-demo.new.example.com',
      },
      etcd: {
        version: '3.5.21',
        member: 'etcd-0',
        memberId: '1',
        storage: {
          type: 'PersistentVolume',
          persistentVolume: { size: '8Gi', storageClassName: 'gp3-csi' },
          restoreSnapshotURL: ['https://older'],
        },
      },
      snapshot: { file: 'snapshot.db', sha256: '', size: 14, revision: 1, totalKeys: 1, hash: 1 },
      encryption: {
        type: 'aescbc',
        activeKeySecret: 'demo-etcd-encryption-key',
        keyUrl: `s3://backups/${prefix}/secrets/demo-etcd-encryption-key.yaml`,
        keySha256: createHash('sha256').update(secret).digest('hex'),
      },
      ...overrides,
    };
    store.objects.set(`${prefix}/backup.json`, Buffer.from(JSON.stringify(manifest)));
    return store;
  }
  const args = ['render', '--from-backup', `s3://backups/${prefix}/`, '--no-validate', '-f', AWS_INPUT];

  it('pre-signs snapshot.db for 24h by default, uses the original key, redacts the URL on stderr', async () => {
    const store = bucketWithBackup();
    const run = await runHcpDr([...args, '--include-secrets'], { buckets: [store] });
    expect(run.code).toBe(0);
    expect(store.presigned).toEqual([{ key: `${prefix}/snapshot.db`, expires: 86400 }]);
    expect(run.stdout).toContain(
      `- https://backups.s3.us-east-1.amazonaws.com/${prefix}/snapshot.db?X-Amz-Expires=86400&X-Amz-Signature=deadbeef\n`,
    );
    expect(run.stdout).toContain(`key: ${FIXED_KEY_BASE64}`);
    expect(run.stderr).toContain('X-Amz-Signature=REDACTED');
    expect(run.stderr).not.toContain('deadbeef');
    expect(run.stderr).toContain('(valid 24h)');
    expect(run.stderr.match(/^warning: .*$/gm)).toEqual([expect.stringMatching(/validation skipped \(--no-validate\)/)]);
  });
  it('honours --expires and warns when temporary credentials sign the URL', async () => {
    const store = bucketWithBackup();
    const run = await runHcpDr([...args, '--expires', '7d'], { buckets: [store], env: { AWS_SESSION_TOKEN: 'token' } });
    expect(store.presigned[0]?.expires).toBe(604800);
    expect(run.stderr).toMatch(/warning: the snapshot URL is signed with temporary credentials \(AWS_SESSION_TOKEN is set\)/);
  });
  it('reads the key from another bucket (--keys-to backups)', async () => {
    const store = bucketWithBackup({
      encryption: { type: 'aescbc', activeKeySecret: 'demo-etcd-encryption-key', keyUrl: 's3://keys/k.yaml', keySha256: '' },
    });
    const keys = new MemoryStore('keys');
    keys.objects.set('k.yaml', Buffer.from(FIXED_KEY_BASE64));
    const run = await runHcpDr([...args, '--include-secrets', '--region', 'eu-west-1'], { buckets: [store, keys] });
    expect(run.code).toBe(0);
    expect(run.opened.map((t) => [t.url, t.region])).toEqual([
      [`s3://backups/${prefix}/`, 'eu-west-1'],
      ['s3://keys', 'eu-west-1'],
    ]);
  });
  it('pins what the backup says must not change, with a warning for each difference', async () => {
    const store = bucketWithBackup({
      hostedCluster: {
        namespace: 'clusters',
        name: 'demo',
        uid: 'u',
        infraID: 'demo-orig1',
        releaseImage: 'quay.io/openshift-release-dev/ocp-release:4.20.0-x86_64',
        platform: 'AWS',
        controlPlaneNamespace: 'clusters-demo',
        apiServerHostname: 'api.orig.example.com',
      },
    });
    const run = await runHcpDr(args, { buckets: [store] });
    expect(run.stdout).toContain('infraID: demo-orig1\n');
    expect(run.stdout).toContain('hostname: api.orig.example.com\n');
    expect(run.stdout).not.toContain('older');
    expect(run.stderr.match(/^warning: HostedCluster clusters\/demo: /gm)).toHaveLength(2);
  });
  it('refuses a key Secret whose digest differs from backup.json (exit 3)', async () => {
    const store = bucketWithBackup();
    store.objects.set(`${prefix}/secrets/demo-etcd-encryption-key.yaml`, Buffer.from('tampered'));
    const run = await runHcpDr(args, { buckets: [store] });
    // Caught by the one reader of a backup (bundle/check.ts), as `backup verify` reports it.
    expect([run.code, run.stderr]).toEqual([3, expect.stringMatching(/encryption key .* changed since the backup \(SHA-256 differs\)/)]);
  });
  it("refuses key material that is not the backup's, and key material it cannot check (exit 3), whatever the flags", async () => {
    const other = file('other.key', Buffer.from('another-key-of-another-cluster!!').toString('base64'));
    // --snapshot-url with --from-backup is two snapshot sources: refused as usage before any key is read.
    const both = await runHcpDr([...args, '--snapshot-url', 'https://example.com/s.db'], { buckets: [bucketWithBackup()] });
    expect([both.code, both.stdout, both.stderr]).toEqual([2, '', expect.stringMatching(/^error: .*--snapshot-url.*\nhint: /)]);
    for (const extra of [[], ['--include-secrets']]) {
      const run = await runHcpDr([...args, '--encryption-key-file', other, ...extra], { buckets: [bucketWithBackup()] });
      expect([run.code, run.stdout, run.stderr]).toEqual([
        3,
        '',
        expect.stringMatching(/^error: failed to render: the encryption key from .*other\.key is not the key of the backup.*\nhint: /),
      ]);
    }
    const same = await runHcpDr([...args, '--encryption-key-file', file('same.key', FIXED_KEY_BASE64), '--include-secrets'], {
      buckets: [bucketWithBackup()],
    });
    expect(same.code, same.stderr).toBe(0);
    const lost = bucketWithBackup();
    lost.objects.delete(`${prefix}/secrets/demo-etcd-encryption-key.yaml`);
    const unchecked = await runHcpDr([...args, '--encryption-key-file', file('same.key', FIXED_KEY_BASE64)], { buckets: [lost] });
    // A backup without its key object is incomplete to the one reader of a backup, as to `backup verify`.
    expect([unchecked.code, unchecked.stderr]).toEqual([
      3,
      expect.stringMatching(/the encryption key .* is missing\nhint: .*backup verify .*backup list --from /),
    ]);
  });
  it('refuses a prefix without backup.json (exit 3), with a hint in valid syntax', async () => {
    const run = await runHcpDr(['render', '--from-backup', 's3://backups/nothing/', '-f', AWS_INPUT], {
      buckets: [new MemoryStore('backups')],
    });
    expect([run.code, run.stderr]).toEqual([
      3,
      expect.stringMatching(/backup.json not found.*\nhint: list the backups with "kubectl hcp-dr backup list --from s3:\/\/backups\/" /),
    ]);
  });
  it("refuses a KMS key reference that differs from the backup's (exit 3)", async () => {
    const kms = {
      provider: 'AWS',
      aws: {
        region: 'us-east-1',
        activeKey: { arn: 'arn:aws:kms:us-east-1:123456789012:key/original' },
        auth: { awsKms: 'arn:aws:iam::1:role/a' },
      },
    };
    const store = bucketWithBackup({ encryption: { type: 'kms', kms } });
    const input = HC().replace(
      / {2}secretEncryption:[\s\S]*$/,
      '  secretEncryption:\n    kms:\n      aws:\n        activeKey:\n          arn: arn:aws:kms:us-east-1:123456789012:key/other\n        region: us-east-1\n      provider: AWS\n    type: kms\n',
    );
    const run = await runHcpDr(['render', '--from-backup', `s3://backups/${prefix}/`, '--no-validate'], { buckets: [store], stdin: input });
    expect([run.code, run.stderr]).toEqual([
      3,
      expect.stringMatching(/KMS key reference .*key\/other.* differs from the backup's .*key\/original/),
    ]);
    const same = await runHcpDr(['render', '--from-backup', `s3://backups/${prefix}/`, '--no-validate'], {
      buckets: [store],
      stdin: input.replace('key/other', 'key/original'),
    });
    expect(same.code).toBe(0);
  });
});
