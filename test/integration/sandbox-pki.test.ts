/**
 * The sandbox's control-plane PKI (test/sandbox/hypershift/pki.ts) and the hosted cluster tied to it
 * (guest-identity.ts, guest-cluster.ts), each behaviour from hypershift-domain.md §5: every CA Secret
 * and trust ConfigMap, CAs generated only when absent, leaves re-issued from the CA present, nodes
 * Ready only while the control plane's CAs accept their kubelets, a saved admin kubeconfig rejected
 * (401) once system-admin-signer changes, konnectivity agents likewise. Real certificates, real kubectl.
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeReady } from '../sandbox/hypershift/guest-identity.ts';
import type { GuestCluster } from '../sandbox/hypershift/guest-cluster.ts';
import { createUnmanagedHostedCluster, startMiniWorld, type MiniCluster, type MiniWorld } from '../sandbox/hypershift/mini-world.ts';
import { CA_SECRETS, CONFIGMAPS, caOf, ensurePki, leafOf, SECRETS, TRUST_CONFIGMAPS, trustBundle } from '../sandbox/hypershift/pki.ts';
import { certificates, trusts } from '../sandbox/hypershift/x509.ts';
import { KUBECTL, runAsync } from '../support/spawn.ts';
import type { GroupResource, SimStore } from '../sandbox/api/types.ts';
import { waitFor as waitForCondition } from '../support/wait.ts';

const NAMESPACES: GroupResource = { group: '', version: 'v1', plural: 'namespaces' };
const waitFor = <T>(what: string, fn: () => T | undefined | false) => waitForCondition(what, fn, 60_000, 25);

let world: MiniWorld;
let m1: MiniCluster;

beforeAll(async () => {
  world = await startMiniWorld({ clusters: 1, guests: true });
  [m1] = world.clusters as [MiniCluster];
}, 60_000);
afterAll(() => world?.stop());

/** A hosted cluster on m1, its guest (nodes joined) and its control-plane namespace. */
async function hostedCluster(name: string): Promise<{ cp: string; guest: GuestCluster }> {
  const hc = createUnmanagedHostedCluster(m1.sim.store, name);
  const key = (hc['spec'] as { infraID: string }).infraID;
  const cp = `clusters-${name}`;
  await waitFor(`the admin kubeconfig of ${name}`, () => m1.sim.store.get(SECRETS, 'clusters', `${name}-admin-kubeconfig`));
  const guest = world.guests.get(key)!;
  // Joined: kubelet certificates issued and the agents evaluated against this control plane.
  await waitFor(`joined nodes of ${name}`, () => guest.nodes().length > 0 && guest.konnectivityAgents().length === guest.nodes().length);
  expect(guest.nodes().every((n) => nodeReady(n) === 'True')).toBe(true);
  return { cp, guest };
}

const freshNamespace = (store: SimStore, name: string) =>
  store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

describe('control-plane PKI (pki.ts)', () => {
  it('holds every CA Secret (ca.crt, ca.key: real CAs) and trust ConfigMaps bundling them', async () => {
    const store = m1.sim.store;
    freshNamespace(store, 'pki-all');
    await ensurePki(store, 'pki-all');
    for (const n of CA_SECRETS) {
      const ca = caOf(store, 'pki-all', n);
      expect(ca, n).toBeDefined();
      expect(new X509Certificate(ca!.cert).ca).toBe(true);
    }
    const distinct = new Set(CA_SECRETS.filter((n) => n !== 'etcd-signer').map((n) => caOf(store, 'pki-all', n)!.cert));
    expect(distinct.size).toBe(CA_SECRETS.length - 1);
    for (const [cm, cas] of Object.entries(TRUST_CONFIGMAPS)) {
      const bundle = trustBundle(store, 'pki-all', cm);
      expect(certificates(bundle).length, cm).toBe(cas.length);
      for (const n of cas) expect(bundle).toContain(caOf(store, 'pki-all', n)!.cert.trim());
    }
    expect(store.get(SECRETS, 'pki-all', 'sa-signing-key')?.['data']).toHaveProperty(['service-account.key']);
    for (const leaf of ['kas-server-crt', 'kas-kubelet-client-crt', 'konnectivity-server', 'konnectivity-agent'])
      expect(leafOf(store, 'pki-all', leaf), leaf).toBeDefined();
  });

  it('generates a CA only when absent: a pre-created one is kept byte for byte', async () => {
    const store = m1.sim.store;
    freshNamespace(store, 'pki-kept');
    await ensurePki(store, 'pki-kept');
    const before = structuredClone(store.get(SECRETS, 'pki-kept', 'csr-signer')?.['data']);
    freshNamespace(store, 'pki-kept-2');
    store.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'csr-signer', namespace: 'pki-kept-2' }, data: before });
    const created = await ensurePki(store, 'pki-kept-2');
    expect(created).not.toContain('csr-signer');
    expect(created).toContain('system-admin-signer');
    expect(store.get(SECRETS, 'pki-kept-2', 'csr-signer')?.['data']).toEqual(before);
    expect(await ensurePki(store, 'pki-kept')).toEqual([]);
  });

  it('re-issues leaves and trust bundles from whatever CA is present', async () => {
    const store = m1.sim.store;
    freshNamespace(store, 'pki-leaf');
    await ensurePki(store, 'pki-leaf');
    const oldCa = caOf(store, 'pki-leaf', 'kube-apiserver-to-kubelet-signer')!;
    const oldLeaf = leafOf(store, 'pki-leaf', 'kas-kubelet-client-crt')!;
    store.delete(SECRETS, 'pki-leaf', 'kube-apiserver-to-kubelet-signer');
    const changed = await ensurePki(store, 'pki-leaf');
    expect(changed).toEqual(
      expect.arrayContaining(['kube-apiserver-to-kubelet-signer', 'kas-kubelet-client-crt', 'kubelet-client-ca', 'client-ca']),
    );
    const newCa = caOf(store, 'pki-leaf', 'kube-apiserver-to-kubelet-signer')!;
    const newLeaf = leafOf(store, 'pki-leaf', 'kas-kubelet-client-crt')!;
    expect(newCa.cert).not.toBe(oldCa.cert);
    expect(trusts(newCa.cert, newLeaf.cert)).toBe(true);
    expect(trusts(newCa.cert, oldLeaf.cert)).toBe(false);
    expect(trustBundle(store, 'pki-leaf', 'kubelet-client-ca')).toContain(newCa.cert.trim());
    expect(trustBundle(store, 'pki-leaf', 'kubelet-client-ca')).not.toContain(oldCa.cert.trim());
  });
});

describe('a hosted cluster tied to its control plane PKI (guest-identity.ts)', () => {
  it('its nodes are Ready while csr-signer is the one that signed their kubelets, NotReady after it is replaced, Ready again with it back', async () => {
    const { cp, guest } = await hostedCluster('nodes');
    const original = structuredClone(m1.sim.store.get(SECRETS, cp, 'csr-signer')!['data']);
    m1.sim.store.delete(SECRETS, cp, 'csr-signer'); // the control-plane operator generates a new one
    const down = await waitFor('nodes NotReady', () => guest.nodes().every((n) => nodeReady(n) === 'Unknown') && guest.nodes());
    expect(JSON.stringify(down[0]?.['status'])).toMatch(/certificate signed by unknown authority/);
    m1.sim.store.mutate(SECRETS, cp, 'csr-signer', (o) => void (o['data'] = original));
    await waitFor('nodes Ready again', () => guest.nodes().every((n) => nodeReady(n) === 'True'));
  });

  it('its nodes go NotReady when the API server presents a client certificate of a new KAS-to-kubelet signer', async () => {
    const { cp, guest } = await hostedCluster('trust');
    m1.sim.store.delete(SECRETS, cp, 'kube-apiserver-to-kubelet-signer');
    const down = await waitFor('nodes NotReady', () => guest.nodes().every((n) => nodeReady(n) === 'Unknown') && guest.nodes());
    expect(JSON.stringify(down[0]?.['status'])).toMatch(/does not trust/);
  });

  it('its konnectivity agents are connected until konnectivity-signer changes', async () => {
    const { cp, guest } = await hostedCluster('agents');
    expect(guest.konnectivityAgents().length).toBe(guest.nodes().length);
    expect(guest.konnectivityAgents().every((a) => a.connected)).toBe(true);
    m1.sim.store.delete(SECRETS, cp, 'konnectivity-signer');
    await waitFor('agents disconnected', () =>
      guest.konnectivityAgents().every((a) => !a.connected && /unknown authority/.test(a.reason ?? '')),
    );
  });

  it.skipIf(!KUBECTL)(
    'a saved admin kubeconfig is rejected (401) once system-admin-signer changes; the one published again works',
    async () => {
      const { cp } = await hostedCluster('admin');
      const published = () =>
        Buffer.from(
          (m1.sim.store.get(SECRETS, 'clusters', 'admin-admin-kubeconfig')!['data'] as { kubeconfig: string }).kubeconfig,
          'base64',
        ).toString();
      const saved = path.join(world.dir, 'saved.kubeconfig');
      const saved0 = published();
      expect(saved0).toMatch(/client-certificate-data/);
      await writeFile(saved, saved0, { mode: 0o600 });
      const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: world.dir };
      const get = (kubeconfig: string) => runAsync(KUBECTL!, ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'name'], env);
      const ok = await get(saved);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/node\//);

      m1.sim.store.delete(SECRETS, cp, 'system-admin-signer');
      await waitFor('a new admin kubeconfig', () => published() !== saved0);
      const rejected = await get(saved);
      expect(rejected.code).not.toBe(0);
      expect(rejected.stderr).toMatch(/Unauthorized|must be logged in/);
      const fresh = path.join(world.dir, 'fresh.kubeconfig');
      await writeFile(fresh, published(), { mode: 0o600 });
      expect((await get(fresh)).code).toBe(0);
      // The ConfigMaps the stand-in rewrote are the ones kube-apiserver reads.
      expect(m1.sim.store.get(CONFIGMAPS, cp, 'client-ca')).toBeDefined();
    },
  );
});
