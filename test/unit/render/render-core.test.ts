/** The pure render core: parsing, key material, encryption plans and pins, without the CLI. */
import { describe, expect, it } from 'vitest';
import { PreconditionError, UsageError } from '../../../src/core/errors.ts';
import { formatManifests, parseManifests } from '../../../src/core/objects/documents.ts';
import { kmsKeyIdentity, parseKeyMaterial } from '../../../src/core/render/encryption.ts';
import { factsFromBackup, parseBackupManifest } from '../../../src/core/render/facts.ts';
import { renderRestore } from '../../../src/core/render/render.ts';
import { checkSnapshotUrl, temporaryCredentialSource } from '../../../src/core/controlplane/snapshot-url.ts';
import { FIXED_KEY_BASE64, FIXED_URL } from './helpers.ts';

const key = { type: 'material', keyBase64: FIXED_KEY_BASE64, origin: 't' } as const;
const HC = `# comment
apiVersion: hypershift.openshift.io/v1beta1
kind: HostedCluster
metadata:
  creationTimestamp: 2026-11-21T16:08:00Z
  name: demo
  namespace: clusters
spec:
  etcd:
    managed:
      storage:
        type: PersistentVolume
    managementType: Managed
  secretEncryption:
    aescbc:
      activeKey:
        name: demo-etcd-encryption-key
    type: aescbc
---
`;

describe('documents', () => {
  it('drops comments and empty documents, keeps unquoted timestamps as strings', () => {
    const objects = parseManifests(`---\n${HC}---\n`, 'in');
    expect(objects).toHaveLength(1);
    expect(objects[0]?.metadata.creationTimestamp).toBe('2026-11-21T16:08:00Z');
    expect(formatManifests(objects, 'yaml')).toContain('creationTimestamp: "2026-11-21T16:08:00Z"\n');
  });
  it('writes strings that need quotes in double quotes, as Go does', () => {
    const text = formatManifests([{ apiVersion: 'v1', kind: 'X', metadata: { labels: { a: 'true', b: '' } } }], 'yaml');
    expect(text).toBe('apiVersion: v1\nkind: X\nmetadata:\n  labels:\n    a: "true"\n    b: ""\n');
  });
});

describe('snapshot URL rules', () => {
  it('accepts a pre-signed https URL of up to 1024 characters', () => {
    expect(() => checkSnapshotUrl(FIXED_URL)).not.toThrow();
    expect(() => checkSnapshotUrl(`https://a.b/${'x'.repeat(1024 - 12)}`)).not.toThrow();
    expect(() => checkSnapshotUrl(`https://a.b/${'x'.repeat(1024 - 11)}`)).toThrow(UsageError);
  });
  it('never shows the signature in its messages', () => {
    expect(() => checkSnapshotUrl('http://b/s.db?X-Amz-Signature=secret')).toThrow(/X-Amz-Signature=REDACTED/);
  });
  it('knows which credentials are temporary', () => {
    expect(temporaryCredentialSource({ AWS_SESSION_TOKEN: 'x' })).toBe('AWS_SESSION_TOKEN is set');
    expect(temporaryCredentialSource({ AWS_ROLE_ARN: 'a', AWS_WEB_IDENTITY_TOKEN_FILE: 'f' })).toMatch(/web identity/);
    expect(temporaryCredentialSource({})).toBeUndefined();
  });
});

describe('key material', () => {
  it('reads a Secret with stringData, and refuses keys of the wrong size', () => {
    const raw = Buffer.from(FIXED_KEY_BASE64, 'base64').toString('latin1');
    expect(
      parseKeyMaterial(Buffer.from(`kind: Secret\napiVersion: v1\nmetadata: {name: k}\nstringData: {key: "${raw}"}\n`), 'f'),
    ).toMatchObject({ keyBase64: FIXED_KEY_BASE64, secretName: 'k' });
    expect(() => parseKeyMaterial(Buffer.from('kind: Secret\napiVersion: v1\nmetadata: {name: k}\ndata: {key: YWJj}\n'), 'f')).toThrow(
      PreconditionError,
    );
    expect(() => parseKeyMaterial(Buffer.from('kind: Secret\napiVersion: v1\nmetadata: {name: k}\ndata: {other: YWJj}\n'), 'f')).toThrow(
      /has no data.key/,
    );
  });
  it('compares KMS references by provider and active key, ignoring auth and key order', () => {
    const a = { provider: 'AWS', aws: { activeKey: { arn: 'arn:1' }, region: 'r', auth: { awsKms: 'x' } } };
    const b = { aws: { region: 'r', auth: { awsKms: 'y' }, activeKey: { arn: 'arn:1' } }, provider: 'AWS' };
    expect(kmsKeyIdentity(a)).toBe(kmsKeyIdentity(b));
    expect(kmsKeyIdentity(a)).not.toBe(kmsKeyIdentity({ ...b, aws: { ...b.aws, activeKey: { arn: 'arn:2' } } }));
  });
});

describe('renderRestore', () => {
  it('with --encryption-key-secret drops the generated key Secret even with includeSecrets', () => {
    const input = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: demo-etcd-encryption-key\n  namespace: clusters\ndata:\n  key: Z2Vu\n---\n${HC}`;
    const r = renderRestore(input, 'in', { snapshotUrl: FIXED_URL, key: { type: 'reference', secretName: 'orig' }, includeSecrets: true });
    expect(r.objects.map((o) => o.kind)).toEqual(['HostedCluster']);
    expect(r.requiredSecrets[0]).toMatchObject({ namespace: 'clusters', name: 'orig' });
  });
  it('refuses a KMS backup for an AES-CBC input, and a key for a KMS input', () => {
    const facts = { origin: 'backup x', encryption: { type: 'kms' as const, kms: { provider: 'AWS' } } };
    expect(() => renderRestore(HC, 'in', { snapshotUrl: FIXED_URL, facts })).toThrow(/was encrypted with KMS but the input uses aescbc/);
    const kms = HC.replace(/ {2}secretEncryption:[\s\S]*?---/, '  secretEncryption:\n    kms:\n      provider: AWS\n    type: kms\n---');
    expect(() => renderRestore(kms, 'in', { snapshotUrl: FIXED_URL, key })).toThrow(/apply to AES-CBC clusters/);
    const aescbc = { origin: 'backup x', encryption: { type: 'aescbc' as const, activeKeySecret: 'k', keyUrl: '', keySha256: '' } };
    expect(() => renderRestore(kms, 'in', { snapshotUrl: FIXED_URL, facts: aescbc })).toThrow(/recorded aescbc encryption/);
  });
  it('sets the key Secret name from the backup and warns about identity differences', () => {
    const facts = {
      origin: 'backup x',
      namespace: 'prod',
      name: 'demo',
      releaseImage: 'img:1',
      platform: 'AWS',
      encryption: { type: 'aescbc' as const, activeKeySecret: 'demo-key-v2', keyUrl: '', keySha256: '' },
    };
    const r = renderRestore(HC, 'in', { snapshotUrl: FIXED_URL, key, facts, includeSecrets: true });
    expect(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Secret/demo-key-v2', 'HostedCluster/demo']);
    expect(r.warnings).toEqual([
      'HostedCluster clusters/demo: the backup x is of prod/demo',
      "HostedCluster clusters/demo: spec.release.image undefined differs from the backed-up cluster's img:1; restoring etcd into another release is at your own risk",
      "HostedCluster clusters/demo: spec.platform.type undefined differs from the backed-up cluster's AWS",
    ]);
  });
  it('reads backup.json and drops a recorded restoreSnapshotURL from the pinned storage', () => {
    const text = JSON.stringify({
      apiVersion: 'hcp-dr.openshift.io/v1alpha1',
      kind: 'EtcdBackup',
      hostedCluster: { namespace: 'n', name: 'a', infraID: 'i', apiServerHostname: null },
      snapshot: {},
      encryption: { type: 'none' },
      etcd: { storage: { type: 'PersistentVolume', restoreSnapshotURL: ['https://x'] } },
    });
    const facts = factsFromBackup(parseBackupManifest(text, 'u'), 'backup u');
    expect(facts.etcdStorage).toEqual({ type: 'PersistentVolume' });
    expect(facts.apiServerHostname).toBeUndefined();
    expect(() => parseBackupManifest('{"kind":"Other"}', 'u')).toThrow(/not an hcp-dr backup/);
  });
});
