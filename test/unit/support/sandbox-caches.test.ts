/**
 * The sandbox's on-disk caches (.cache/): the etcd PKI (etcd/certs.ts) and parsed CRD YAML
 * (sim/crds.ts). A cache may only ever return what generating or parsing anew would: it is used
 * when sound and otherwise rebuilt, and a cache entry never changes what a reader gets.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEtcdPems } from '../../sandbox/etcd/certs.ts';
import { selfSignedCa, signedLeaf } from '../../sandbox/hypershift/x509.ts';
import { parseCrdText } from '../../sandbox/api/crds.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hcpdr-caches-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: { kind: Widget, plural: widgets }
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
---
# an empty document
`;

describe('parsed CRD YAML cache (sim/crds.ts)', () => {
  it('returns what js-yaml parses, from the cache entry once written, and re-parses a damaged entry', async () => {
    const cache = path.join(dir, 'crd-json');
    const parsed = yaml.loadAll(CRD);
    expect(await parseCrdText(CRD, cache)).toEqual(parsed);
    const [entry] = await readdir(cache);
    expect(entry).toMatch(/^[0-9a-f]{64}\.json$/);
    // The entry is what is read next time: a planted one shows it is used.
    const planted = [{ kind: 'CustomResourceDefinition', metadata: { name: 'planted' } }];
    await writeFile(path.join(cache, entry!), JSON.stringify(planted));
    expect(await parseCrdText(CRD, cache)).toEqual(planted);
    await writeFile(path.join(cache, entry!), '{"truncat');
    expect(await parseCrdText(CRD, cache)).toEqual(parsed);
    expect(JSON.parse(await readFile(path.join(cache, entry!), 'utf8'))).toEqual(parsed);
  });

  it('keys entries by the text (a changed file is parsed anew) and never caches YAML that JSON cannot hold', async () => {
    const cache = path.join(dir, 'crd-json-2');
    const changed = CRD.replace('widgets.example.com', 'gadgets.example.com');
    await parseCrdText(CRD, cache);
    expect(((await parseCrdText(changed, cache))[0] as { metadata: { name: string } }).metadata.name).toBe('gadgets.example.com');
    expect(await readdir(cache)).toHaveLength(2);
    const dated = 'kind: CustomResourceDefinition\nmetadata: { name: dated }\nstamp: 2024-01-02\n';
    const docs = await parseCrdText(dated, cache);
    expect((docs[0] as { stamp: unknown }).stamp).toBeInstanceOf(Date);
    expect(await readdir(cache)).toHaveLength(2);
  });
});

describe('etcd PKI cache (etcd/certs.ts)', () => {
  const file = () => path.join(dir, 'etcd-pki', 'v1.json');

  it('generates a chained PKI when absent, reuses it while sound, regenerates one that does not chain', async () => {
    const first = await loadEtcdPems(file());
    const ca = new X509Certificate(first.ca);
    for (const leaf of [first.serverCert, first.clientCert]) expect(new X509Certificate(leaf).checkIssued(ca)).toBe(true);
    expect(await loadEtcdPems(file())).toEqual(first);

    // A server certificate of another CA: the chain check fails, so a new PKI is made and stored.
    const stranger = await signedLeaf(await selfSignedCa('stranger'), '/CN=etcd-server');
    await writeFile(file(), JSON.stringify({ ...first, serverCert: stranger.cert }));
    const second = await loadEtcdPems(file());
    expect(second.ca).not.toBe(first.ca);
    expect(new X509Certificate(second.serverCert).checkIssued(new X509Certificate(second.ca))).toBe(true);
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual(second);
  }, 120_000);

  it('HCP_DR_FRESH_ETCD_PKI=1 bypasses the cache: a private PKI, the cache file untouched', async () => {
    const cached = await loadEtcdPems(file());
    const saved = process.env['HCP_DR_FRESH_ETCD_PKI'];
    process.env['HCP_DR_FRESH_ETCD_PKI'] = '1';
    try {
      expect((await loadEtcdPems(file())).ca).not.toBe(cached.ca);
    } finally {
      if (saved === undefined) delete process.env['HCP_DR_FRESH_ETCD_PKI'];
      else process.env['HCP_DR_FRESH_ETCD_PKI'] = saved;
    }
    expect(JSON.parse(await readFile(file(), 'utf8'))).toEqual(cached);
  }, 120_000);
});
