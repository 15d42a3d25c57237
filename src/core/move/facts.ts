/**
 * What a move reads from the HostedCluster spec (pure): the hostnames of its published services,
 * whether its API is public (external DNS must hand the name over), platform and region.
 */
import type { KubeObject } from '../model.ts';

interface ServiceSpec {
  service?: string;
  servicePublishingStrategy?: {
    type?: string;
    route?: { hostname?: string };
    loadBalancer?: { hostname?: string };
    nodePort?: { address?: string };
  };
}

export interface PublishedService {
  service: string;
  type: string;
  /** The fixed hostname; undefined when the platform chooses one (it changes with the cluster). */
  hostname: string | undefined;
}

export function publishedServices(hc: KubeObject): PublishedService[] {
  const services = ((hc['spec'] as { services?: ServiceSpec[] } | undefined)?.services ?? []).filter((s) => s.service);
  return services.map((s) => {
    const p = s.servicePublishingStrategy ?? {};
    const hostname = p.route?.hostname ?? p.loadBalancer?.hostname ?? p.nodePort?.address;
    return { service: s.service ?? '', type: p.type ?? '', hostname: hostname || undefined };
  });
}

export function apiHostname(hc: KubeObject): string | undefined {
  return publishedServices(hc).find((s) => s.service === 'APIServer')?.hostname;
}

/** AWS endpointAccess (Public when unset, HyperShift's default); other platforms count as Public. */
export function endpointAccess(hc: KubeObject): string {
  const platform = (hc['spec'] as { platform?: { aws?: { endpointAccess?: string } } } | undefined)?.platform;
  return platform?.aws?.endpointAccess ?? 'Public';
}

/** Whether external DNS publishes the API name: Public and PublicAndPrivate (§2.7). */
export function needsExternalDns(hc: KubeObject): boolean {
  return endpointAccess(hc) !== 'Private';
}

export function platformOf(hc: KubeObject): { type: string; region: string | undefined } {
  const platform = (hc['spec'] as { platform?: { type?: string; aws?: { region?: string } } } | undefined)?.platform;
  return { type: platform?.type ?? '', region: platform?.aws?.region };
}

/** The `--domain-filter` values of an external-dns Deployment's container args. */
export function domainFilters(deployment: KubeObject): string[] {
  const containers =
    (deployment['spec'] as { template?: { spec?: { containers?: { args?: string[]; command?: string[] }[] } } } | undefined)?.template?.spec
      ?.containers ?? [];
  const args = containers.flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]);
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a.startsWith('--domain-filter=')) out.push(a.slice('--domain-filter='.length));
    else if (a === '--domain-filter' && args[i + 1]) out.push(args[i + 1] as string);
  });
  return out.map((d) => d.replace(/^\.+|\.+$/g, '').toLowerCase()).filter(Boolean);
}

/** external-dns' domain filter: the name is the domain or below it; no filter takes every name. */
export function inDomains(host: string, domains: string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return domains.length === 0 || domains.some((d) => h === d || h.endsWith(`.${d}`));
}
