import { describe, expect, it } from 'vitest';
import {
  apiHostname,
  domainFilters,
  endpointAccess,
  inDomains,
  needsExternalDns,
  publishedServices,
} from '../../../../src/core/move/facts.ts';
import { isBeforeHandOff, phaseIndex } from '../../../../src/core/move/records.ts';
import { ownershipRecords } from '../../../../src/core/move/handoff.ts';
import type { KubeObject } from '../../../../src/core/model.ts';

const hc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'demo', namespace: 'clusters' }, spec });

describe('what a move reads from the HostedCluster', () => {
  it('finds the API hostname of a Route or LoadBalancer, and which services have none', () => {
    const h = hc({
      services: [
        { service: 'APIServer', servicePublishingStrategy: { type: 'LoadBalancer', loadBalancer: { hostname: 'api.example.com' } } },
        { service: 'OAuthServer', servicePublishingStrategy: { type: 'Route', route: { hostname: 'oauth.example.com' } } },
        { service: 'Konnectivity', servicePublishingStrategy: { type: 'Route' } },
      ],
    });
    expect(apiHostname(h)).toBe('api.example.com');
    expect(
      publishedServices(h)
        .filter((s) => !s.hostname)
        .map((s) => s.service),
    ).toEqual(['Konnectivity']);
    expect(apiHostname(hc({ services: [{ service: 'APIServer', servicePublishingStrategy: { type: 'Route' } }] }))).toBeUndefined();
  });

  it('needs external DNS unless the AWS endpoint access is Private (Public by default)', () => {
    expect(endpointAccess(hc({ platform: { type: 'AWS', aws: {} } }))).toBe('Public');
    expect(needsExternalDns(hc({ platform: { type: 'AWS', aws: { endpointAccess: 'PublicAndPrivate' } } }))).toBe(true);
    expect(needsExternalDns(hc({ platform: { type: 'AWS', aws: { endpointAccess: 'Private' } } }))).toBe(false);
  });
});

describe("external-dns' domain filter", () => {
  const deployment = (args: string[]): KubeObject => ({ metadata: {}, spec: { template: { spec: { containers: [{ args }] } } } });
  it('reads --domain-filter in both spellings and matches names at or below it', () => {
    const filters = domainFilters(
      deployment(['--source=openshift-route', '--domain-filter=hcp.example.com.', '--domain-filter', 'Other.org']),
    );
    expect(filters).toEqual(['hcp.example.com', 'other.org']);
    expect(inDomains('api-demo.hcp.example.com', filters)).toBe(true);
    expect(inDomains('hcp.example.com', filters)).toBe(true);
    expect(inDomains('api-demo.xhcp.example.com', ['hcp.example.com'])).toBe(false);
    expect(inDomains('anything.net', [])).toBe(true);
  });

  it('names the TXT ownership records of --txt-suffix=-external-dns', () => {
    expect(ownershipRecords('api-demo.hcp.example.com')).toEqual([
      'api-demo-external-dns.hcp.example.com',
      'a-api-demo-external-dns.hcp.example.com',
    ]);
  });
});

describe('move phases', () => {
  it('roll back up to the backup and only go forward from the DNS hand-off on', () => {
    expect((['started', 'frozen', 'backed-up'] as const).every(isBeforeHandOff)).toBe(true);
    expect((['dns-handoff', 'restoring', 'verified', 'tearing-down', 'source-removed'] as const).some(isBeforeHandOff)).toBe(false);
    expect(phaseIndex('verified')).toBeGreaterThan(phaseIndex('restoring'));
  });
});
