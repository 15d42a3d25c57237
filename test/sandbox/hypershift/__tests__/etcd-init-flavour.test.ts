/**
 * The sandbox behaves like the HyperShift that ships: its etcd-init defaults to the RELEASED flavour
 * (no --name/--initial-cluster: a split brain on HA, hypershift-domain.md §1.7, §3.1, OCPBUGS-99534);
 * the fixed flavour is a switch (option, or HCP_DR_SANDBOX_ETCD_INIT=fixed for a CI run).
 */
import { describe, expect, it } from 'vitest';
import { etcdInitFlavourFromEnv, etcdInitSplitBrainDefault } from '../operator.ts';

describe('the sandbox etcd-init flavour', () => {
  it('is the released one unless the environment asks for the fixed one', () => {
    expect(etcdInitFlavourFromEnv({})).toBe('released');
    expect(etcdInitSplitBrainDefault({})).toBe(true);
    expect(etcdInitFlavourFromEnv({ HCP_DR_SANDBOX_ETCD_INIT: 'released' })).toBe('released');
    expect(etcdInitFlavourFromEnv({ HCP_DR_SANDBOX_ETCD_INIT: 'Fixed' })).toBe('fixed');
    expect(etcdInitSplitBrainDefault({ HCP_DR_SANDBOX_ETCD_INIT: 'fixed' })).toBe(false);
  });

  it('refuses an unknown flavour instead of silently running one', () => {
    expect(() => etcdInitFlavourFromEnv({ HCP_DR_SANDBOX_ETCD_INIT: 'patched' })).toThrow(/expected "released" or "fixed"/);
  });
});
