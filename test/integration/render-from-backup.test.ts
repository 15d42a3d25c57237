/**
 * `render --from-backup` end to end: a backup laid out as `backup` writes it, in the SigV4-
 * checking S3 test server behind a TLS front (the CRD accepts only https URLs), read through
 * the real S3 adapter. The pre-signed URL in the output must download the snapshot with
 * curl, as etcd-init does, and stop working once expired. An encrypted and compressed backup is
 * refused (the hint naming --stage-snapshot), and with --stage-snapshot --decrypt-with rendered
 * with a URL to a staged decoded copy carrying its expiry; a wrong identity writes nothing.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3Server } from '../sandbox/s3/server.ts';
import { startTlsFront, writeLocalhostCertificate, type TlsFront } from '../sandbox/net/tls-front.ts';
import { runCliInProcess } from '../support/cli.ts';
import { openObjectStore } from '../../src/s3/store.ts';
import { dumpKubeYaml } from '../../src/core/yaml.ts';
import { parseManifests } from '../../src/core/objects/documents.ts';
import type { ObjectStore } from '../../src/core/ports.ts';
import { encodeBuffer } from '../../src/core/crypto/codec.ts';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { CRD_DIR, FIXED_KEY_BASE64, OWN_FIXTURES, sharedRegistry } from '../unit/render/helpers.ts';

const run = promisify(execFile);
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const PREFIX = 'hcp/clusters/demo/20261121T160800Z-3f9a1c';
const quiet = { info: () => {}, warn: () => {}, debug: () => {} };

describe('render --from-backup against an S3 server', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-render-s3-'));
  const ca = path.join(dir, 'tls.crt');
  const snapshot = randomBytes(256 * 1024);
  let server: S3Server;
  let front: TlsFront;
  let store: ObjectStore;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    const files = await writeLocalhostCertificate(dir);
    server = await startS3Server({ dir: path.join(dir, 's3'), buckets: ['backups'] });
    front = await startTlsFront(server.endpoint, {
      key: readFileSync(files.keyFile, 'utf8'),
      cert: readFileSync(files.certFile, 'utf8'),
      caFile: ca,
    });
    for (const [k, v] of Object.entries({
      AWS_ACCESS_KEY_ID: server.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
    })) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    ({ store } = await openObjectStore({ url: 's3://backups', endpoint: front.url, caBundle: ca, region: server.region }, quiet));
    const secret = dumpKubeYaml({
      apiVersion: 'v1',
      data: { key: FIXED_KEY_BASE64 },
      kind: 'Secret',
      metadata: { name: 'demo-etcd-encryption-key', namespace: 'clusters' },
      type: 'Opaque',
    });
    await store.put(`${PREFIX}/snapshot.db`, snapshot);
    await store.put(`${PREFIX}/secrets/demo-etcd-encryption-key.yaml`, secret);
    // A complete bundle: every reader checks that the files backup.json names are there (bundle/check.ts).
    await store.put(
      `${PREFIX}/manifests/hostedcluster.yaml`,
      'apiVersion: hypershift.openshift.io/v1beta1\nkind: HostedCluster\nmetadata: {name: demo, namespace: clusters}\n',
    );
    await store.put(
      `${PREFIX}/backup.json`,
      JSON.stringify({
        apiVersion: 'hcp-dr.openshift.io/v1alpha1',
        kind: 'EtcdBackup',
        id: '20261121T160800Z-3f9a1c',
        toolVersion: 't',
        createdAt: '2026-11-21T16:08:00.000Z',
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
          storage: { type: 'PersistentVolume', persistentVolume: { size: '8Gi', storageClassName: 'gp3-csi' } },
        },
        snapshot: { file: 'snapshot.db', sha256: sha256(snapshot), size: snapshot.length, revision: 1, totalKeys: 1, hash: 1 },
        mode: 'online',
        apiDowntimeSeconds: null,
        encryption: {
          type: 'aescbc',
          activeKeySecret: 'demo-etcd-encryption-key',
          keyUrl: `s3://backups/${PREFIX}/secrets/demo-etcd-encryption-key.yaml`,
          keySha256: sha256(secret),
        },
        secrets: [],
        manifests: { hostedCluster: 'manifests/hostedcluster.yaml', nodePools: [] },
        serverSideEncryption: null,
      }),
    );
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await front?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const argv = (...extra: string[]) => [
    'render',
    '--from-backup',
    `s3://backups/${PREFIX}/`,
    '--endpoint',
    front.url,
    '--ca-bundle',
    ca,
    '--region',
    'us-east-1',
    '-f',
    path.join(OWN_FIXTURES, 'aws-from-backup/input.yaml'),
    ...extra,
  ];
  const urlOf = (stdout: string) => {
    const hc = parseManifests(stdout, 'stdout').find((o) => o.kind === 'HostedCluster') as unknown as {
      spec: { etcd: { managed: { storage: { restoreSnapshotURL: string[] } } } };
    };
    return hc.spec.etcd.managed.storage.restoreSnapshotURL;
  };

  it('writes a pre-signed https URL that downloads the snapshot with curl', async () => {
    const args = argv('--include-secrets', ...(sharedRegistry() ? ['--crd', CRD_DIR] : ['--no-validate']));
    const started = performance.now();
    const result = await runCliInProcess(args);
    const elapsed = performance.now() - started;
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.code).toBe(0);
    const urls = urlOf(result.stdout);
    expect(urls).toHaveLength(1);
    const url = urls[0] as string;
    expect(url).toMatch(
      new RegExp(`^${front.url}/backups/${PREFIX}/snapshot\\.db\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Expires=86400`),
    );
    expect(url.length).toBeLessThanOrEqual(1024);
    expect(result.stdout).toContain(`key: ${FIXED_KEY_BASE64}`);
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(url)?.[1] as string;
    expect(result.stderr).not.toContain(signature);
    expect(result.stderr).toContain('X-Amz-Signature=REDACTED');
    if (sharedRegistry()) expect(result.stderr).toMatch(/validated 2 object\(s\)/);

    const out = path.join(dir, 'downloaded');
    await run('curl', ['-sS', '--fail', '--cacert', ca, '-o', out, url]);
    expect(sha256(readFileSync(out))).toBe(sha256(snapshot));
    console.info(`render --from-backup with validation, in process: ${elapsed.toFixed(0)} ms`);
  });

  it('writes a URL that stops working when it expires', async () => {
    const args = argv('--expires', '1s', '--no-validate');
    const result = await runCliInProcess(args);
    expect(result.code).toBe(0);
    await new Promise((r) => setTimeout(r, 2500));
    const out = path.join(dir, 'expired');
    const { stdout } = await run('curl', ['-sS', '--cacert', ca, '-o', out, '-w', '%{http_code}', urlOf(result.stdout)[0] as string]);
    expect(stdout).toBe('403');
    expect(readFileSync(out, 'utf8').startsWith('<?xml')).toBe(true);
  });

  async function readBody(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await store.get(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  /** backup.json of PREFIX as an age-encrypted, zstd-compressed backup at `prefix` (its snapshot encoded). */
  async function putEncoded(prefix: string, id: string, recipient: string): Promise<void> {
    const text = (await readBody(`${PREFIX}/backup.json`)).toString('utf8');
    const m = JSON.parse(text) as Record<string, unknown> & { snapshot: Record<string, unknown> };
    const enc = await encodeBuffer(snapshot, { compress: 'zstd', recipients: [recipient] });
    await store.put(`${prefix}/snapshot.db`, enc.body);
    await store.put(`${prefix}/manifests/hostedcluster.yaml`, await readBody(`${PREFIX}/manifests/hostedcluster.yaml`));
    const objects = [{ url: `s3://backups/${prefix}/snapshot.db`, sha256: sha256(snapshot), size: snapshot.length, ...enc }];
    await store.put(
      `${prefix}/backup.json`,
      JSON.stringify({
        ...m,
        id,
        storage: {
          compression: 'zstd',
          encryption: { format: 'age', recipients: [recipient] },
          objects: objects.map(({ body: _body, ...o }) => o),
        },
      }),
    );
  }

  it('an encoded snapshot: refused without --stage-snapshot or with a wrong identity, nothing written; staged decoded with it', async () => {
    const id = '20261121T170000Z-4e5f6a';
    const encoded = `hcp/clusters/demo/${id}`;
    const identity = await generateX25519Identity();
    const [key, otherKey] = [path.join(dir, 'age.txt'), path.join(dir, 'other-age.txt')];
    writeFileSync(key, `${identity}\n`, { mode: 0o600 });
    writeFileSync(otherKey, `${await generateX25519Identity()}\n`, { mode: 0o600 });
    await putEncoded(encoded, id, await identityToRecipient(identity));
    const renderEncoded = (...extra: string[]) =>
      runCliInProcess([...argv('--no-validate', ...extra).map((a) => (a === `s3://backups/${PREFIX}/` ? `s3://backups/${encoded}/` : a))]);
    const staged = async () => (await store.list(`${encoded}/.hcp-dr-staging/`)).map((o) => o.key);

    const refused = await renderEncoded('--decrypt-with', key);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/etcd-init downloads a plain snapshot/);
    expect(refused.stderr).toMatch(/hint: add --stage-snapshot --decrypt-with <identity> to stage a decoded \(plaintext\) copy/);
    const wrong = await renderEncoded('--decrypt-with', otherKey, '--stage-snapshot');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/is not one of its recipients/);
    const missing = await renderEncoded('--stage-snapshot');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/encrypted \(age\) and no identity was given/);
    expect(await staged()).toEqual([]);

    const before = Date.now();
    const rendered = await renderEncoded('--decrypt-with', key, '--stage-snapshot', '--expires', '2h');
    expect(rendered.code, rendered.stderr).toBe(0);
    const url = urlOf(rendered.stdout)[0] as string;
    const [stagedKey] = await staged();
    expect(stagedKey).toMatch(new RegExp(`^${encoded}/\\.hcp-dr-staging/render/\\d{8}T\\d{6}Z-[0-9a-f]{6}/snapshot\\.db$`));
    expect(url.startsWith(`${front.url}/backups/${stagedKey}?X-Amz-Algorithm=AWS4-HMAC-SHA256&`)).toBe(true);
    const out = path.join(dir, 'staged-download');
    await run('curl', ['-sS', '--fail', '--cacert', ca, '-o', out, url]);
    expect(sha256(readFileSync(out))).toBe(sha256(snapshot));
    const expires = Date.parse((await store.head(stagedKey as string))?.metadata?.['hcp-dr-expires'] ?? '');
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 2 * 3600_000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 2 * 3600_000);
    expect(rendered.stderr).toContain(`warning: s3://backups/${stagedKey} holds the snapshot in plain text`);
    expect(rendered.stderr).toMatch(/"backup prune" deletes it after that time/);
    expect(rendered.stderr).not.toContain(/X-Amz-Signature=([0-9a-f]+)/.exec(url)?.[1] as string);
  });

  it('warns that a URL signed with a session token dies with the session', async () => {
    const args = argv('--no-validate');
    process.env['AWS_SESSION_TOKEN'] = 'test-session-token';
    try {
      const result = await runCliInProcess(args);
      expect(result.stderr).toMatch(/warning: the snapshot URL is signed with temporary credentials \(AWS_SESSION_TOKEN is set\)/);
    } finally {
      delete process.env['AWS_SESSION_TOKEN'];
    }
  });
});
