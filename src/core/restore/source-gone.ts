/**
 * A restore on another management cluster than the backup's (or one hcp-dr cannot tell apart)
 * must not start a second copy of a hosted cluster whose source still serves: both would claim
 * the API hostname and the nodes would talk to either (hypershift-domain.md §2.7 step 8, §3.16,
 * §3.22). Before the first change, the API hostname is resolved through the configured resolver
 * (--dns-server) and each address is asked whether something answers on the API port; when it
 * does, the restore is refused unless --force.
 */
import { PreconditionError } from '../errors.ts';
import type { RestoreBundle, SourceProbe } from '../contracts/restore.ts';

interface ApiService {
  service?: string;
  servicePublishingStrategy?: { type?: string; route?: { hostname?: string }; loadBalancer?: { hostname?: string } };
}

/** The API hostname and the port its clients use: 443 behind a Route, 6443 behind a LoadBalancer. */
export function apiEndpoint(bundle: RestoreBundle): { host: string; port: number } | undefined {
  const services = (bundle.hostedCluster['spec'] as { services?: ApiService[] } | undefined)?.services ?? [];
  const s = services.find((x) => x.service === 'APIServer')?.servicePublishingStrategy;
  const host = s?.route?.hostname ?? s?.loadBalancer?.hostname ?? bundle.manifest.hostedCluster.apiServerHostname ?? undefined;
  if (!host) return undefined;
  return { host, port: s?.type === 'LoadBalancer' ? 6443 : 443 };
}

export async function checkSourceGone(
  bundle: RestoreBundle,
  same: boolean | undefined,
  probe: SourceProbe | undefined,
  force: boolean,
  pass: (check: string, detail: string) => void,
  warnings: string[],
): Promise<void> {
  if (same === true || !probe) return;
  const endpoint = apiEndpoint(bundle);
  if (!endpoint) return;
  const { host, port } = endpoint;
  const addresses = await probe.resolver.resolve4(host);
  if (addresses.length === 0) return pass('source-gone', `${host} does not resolve through ${probe.resolver.describe()}`);
  const answering: string[] = [];
  for (const a of addresses) if (await probe.answers(a, port)) answering.push(a);
  if (answering.length === 0) return pass('source-gone', `${host} resolves to ${addresses.join(', ')} but nothing answers on port ${port}`);
  const text = `${host} still resolves to ${addresses.join(', ')} through ${probe.resolver.describe()} and ${answering.join(', ')} answers on port ${port}: the source may still serve this hosted cluster`;
  if (force) {
    warnings.push(`${text} (--force)`);
    return pass('source-gone', `not proven (--force): ${text}`);
  }
  const src = bundle.manifest.hostedCluster;
  throw new PreconditionError(`failed to restore ${src.namespace}/${src.name} on another management cluster: ${text}`, {
    hint: `stop the source first (pause it and delete its routes, or tear it down; "{cmd} move" does both), or pass --force if it no longer serves`,
  });
}
