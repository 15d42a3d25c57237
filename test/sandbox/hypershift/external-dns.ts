/**
 * A management cluster's router and external-DNS stand-ins (test support, never shipped).
 *
 * attachRouter(store, { canonicalHostname }): the OpenShift router admits every Route with a host, as
 *   `status.ingress[0]` {host, routerName: default, routerCanonicalHostname, conditions Admitted=True}.
 *
 * startExternalDns(store, options): external-dns as `hypershift install --external-dns-provider=aws
 *   --external-dns-domain-filter=<domain>` deploys it (hypershift-domain.md §1.9; cmd/install/assets/
 *   hypershift_operator.go): Deployment `external-dns` in `hypershift` with `--source=service
 *   --source=openshift-route --domain-filter=<domain> --provider=aws --registry=txt
 *   --txt-suffix=-external-dns --txt-owner-id=<owner> --label-filter=hypershift.openshift.io/route-visibility!=private`
 *   (a preflight reads these args: that Deployment is how a real cluster shows that external DNS is
 *   configured). Its controller, with the TXT registry and the default `sync` policy:
 *   - publishes every admitted Route (all namespaces) whose spec.host is inside the domain filter and
 *     that is not labelled route-visibility=private, and every Service of type LoadBalancer annotated
 *     `external-dns.alpha.kubernetes.io/hostname` (comma-separated names): an A record to this
 *     cluster's `ingressAddress` (a Service's own status.loadBalancer.ingress[0].ip when it has one),
 *     plus TXT ownership records in both of external-dns' formats, `<first label><suffix>.<rest>` and
 *     `a-<first label><suffix>.<rest>`, holding
 *     "heritage=external-dns,external-dns/owner=<owner>,external-dns/resource=route/<ns>/<name>";
 *   - never touches a name whose TXT record another owner holds, nor an A record without any owner
 *     (listed by conflicts());
 *   - deletes the records it owns once nothing publishes the name any more (a Route deleted);
 *   - runs while its Deployment exists with spec.replicas > 0 (`kubectl scale deploy/external-dns
 *     -n hypershift --replicas=0` stops it) and it is not halted: halt() freezes it with its records
 *     left as they are (the "DNS that never releases" case), resume() lets it catch up.
 *
 * API: `ed.ownerId`, `ed.domainFilter`, `ed.ingressAddress`, `ed.running`, `ed.sync()`, `ed.conflicts()`,
 * `ed.halt()`, `ed.resume()`, `ed.stop()` (detaches; records stay). txtRecordNames(host, suffix) gives
 * the ownership record names a DNS check looks for.
 */
import { randomUUID } from 'node:crypto';
import type { DnsZone } from '../dns/server.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { deploymentObject, NAMESPACES, ROUTES, SERVICES } from './control-plane.ts';

const DEPLOYMENTS: GroupResource = { group: 'apps', version: 'v1', plural: 'deployments' };
export const EXTERNAL_DNS_NAMESPACE = 'hypershift';
export const EXTERNAL_DNS_DEPLOYMENT = 'external-dns';
export const HOSTNAME_ANNOTATION = 'external-dns.alpha.kubernetes.io/hostname';
export const ROUTE_VISIBILITY_LABEL = 'hypershift.openshift.io/route-visibility';
const same = (a: GroupResource, b: GroupResource) => a.group === b.group && a.plural === b.plural;
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

interface RouteLike {
  spec?: { host?: string };
  status?: { ingress?: { host?: string; routerName?: string; conditions?: { type: string; status: string }[] }[] };
}

/** The router: admits Routes with a host on this management cluster. Returns a detach function. */
export function attachRouter(store: SimStore, options: { canonicalHostname: string }): () => void {
  const admit = (r: SimObject) => {
    const host = (r as RouteLike).spec?.host;
    if (!host || r.metadata.deletionTimestamp) return;
    const ingress = (r as RouteLike).status?.ingress?.[0];
    if (ingress?.host === host && ingress.routerName === 'default') return;
    try {
      store.mutate(ROUTES, r.metadata.namespace, r.metadata.name, (o) => {
        o['status'] = {
          ingress: [
            {
              host,
              routerName: 'default',
              routerCanonicalHostname: options.canonicalHostname,
              wildcardPolicy: 'None',
              conditions: [{ type: 'Admitted', status: 'True', lastTransitionTime: now() }],
            },
          ],
        };
      });
    } catch {
      /* gone meanwhile */
    }
  };
  for (const r of store.list(ROUTES)) admit(r);
  return store.subscribe((e) => {
    if (same(e.resource, ROUTES) && e.type !== 'DELETED') admit(e.object);
  });
}

/** The TXT ownership record names of `host`: legacy `<first><suffix>.<rest>` and new `a-<first><suffix>.<rest>`. */
export function txtRecordNames(host: string, suffix = '-external-dns'): [string, string] {
  const [first = '', ...rest] = host.toLowerCase().replace(/\.$/, '').split('.');
  const tail = rest.length ? `.${rest.join('.')}` : '';
  return [`${first}${suffix}${tail}`, `a-${first}${suffix}${tail}`];
}

/** The owner named by a TXT value of external-dns' registry, if it is one. */
export function ownerOf(txt: string): string | undefined {
  const fields = new Map(txt.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  return fields.get('heritage') === 'external-dns' ? fields.get('external-dns/owner') : undefined;
}

export interface ExternalDnsOptions {
  /** The DNS provider's zone (the sandbox's DNS server). */
  zone: DnsZone;
  /** --external-dns-domain-filter, e.g. hcp.example.com. */
  domainFilter: string;
  /** The address A records point at: this management cluster's ingress (router), e.g. 127.0.0.11. */
  ingressAddress: string;
  /** --txt-owner-id (default: a random UUID per install, as hypershift install does). */
  ownerId?: string;
  txtSuffix?: string;
  /** Creates the `external-dns` Deployment in `hypershift` (default true). */
  install?: boolean;
  /** Delay between a change and the sync it triggers (default 0: the next tick), like --interval. */
  syncDelayMs?: number;
}

export interface ExternalDns {
  readonly ownerId: string;
  readonly domainFilter: string;
  readonly ingressAddress: string;
  /** Reconciling: its Deployment has replicas > 0 and it is not halted. */
  readonly running: boolean;
  /** One reconcile now (no-op when not running). */
  sync(): void;
  /** Hostnames it wants but another owner (or no owner) holds, from the last sync. */
  conflicts(): string[];
  /** Stops reconciling; every record stays as it is (a hung external-dns). */
  halt(): void;
  resume(): void;
  /** Detaches from the store; records stay. */
  stop(): void;
}

/** The `external-dns` Deployment `hypershift install` creates with external DNS configured. */
export function externalDnsDeployment(options: { domainFilter: string; ownerId: string; txtSuffix?: string }): SimObject {
  const d = deploymentObject(EXTERNAL_DNS_NAMESPACE, EXTERNAL_DNS_DEPLOYMENT, 1);
  d.metadata.labels = { app: EXTERNAL_DNS_DEPLOYMENT, 'hypershift.openshift.io/operator-component': EXTERNAL_DNS_DEPLOYMENT };
  const spec = d['spec'] as { selector: unknown; template: { metadata: unknown; spec: { containers: Record<string, unknown>[] } } };
  spec.selector = { matchLabels: { name: EXTERNAL_DNS_DEPLOYMENT } };
  spec.template.metadata = { labels: { name: EXTERNAL_DNS_DEPLOYMENT, app: EXTERNAL_DNS_DEPLOYMENT } };
  spec.template.spec.containers = [
    {
      name: 'external-dns',
      image: 'registry.k8s.io/external-dns/external-dns:v0.15.0',
      command: ['/external-dns'],
      args: [
        '--source=service',
        '--source=openshift-route',
        `--domain-filter=${options.domainFilter}`,
        '--provider=aws',
        '--registry=txt',
        `--txt-suffix=${options.txtSuffix ?? '-external-dns'}`,
        `--txt-owner-id=${options.ownerId}`,
        `--label-filter=${ROUTE_VISIBILITY_LABEL}!=private`,
        '--interval=1m',
        '--txt-cache-interval=1h',
        '--aws-zone-type=public',
      ],
    },
  ];
  return d;
}

export function startExternalDns(store: SimStore, options: ExternalDnsOptions): ExternalDns {
  const ownerId = options.ownerId ?? randomUUID();
  const suffix = options.txtSuffix ?? '-external-dns';
  const domain = options.domainFilter.toLowerCase().replace(/\.$/, '');
  const { zone, ingressAddress } = options;
  let halted = false;
  let stopped = false;
  let conflicts: string[] = [];

  if (options.install !== false) {
    if (!store.get(NAMESPACES, undefined, EXTERNAL_DNS_NAMESPACE))
      store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: EXTERNAL_DNS_NAMESPACE } });
    if (!store.get(DEPLOYMENTS, EXTERNAL_DNS_NAMESPACE, EXTERNAL_DNS_DEPLOYMENT))
      store.create(DEPLOYMENTS, externalDnsDeployment({ domainFilter: domain, ownerId, txtSuffix: suffix }));
  }
  const deployed = () => {
    if (options.install === false) return true;
    const d = store.get(DEPLOYMENTS, EXTERNAL_DNS_NAMESPACE, EXTERNAL_DNS_DEPLOYMENT);
    return !!d && !d.metadata.deletionTimestamp && ((d['spec'] as { replicas?: number }).replicas ?? 1) > 0;
  };
  const running = () => !stopped && !halted && deployed();
  const inDomain = (host: string) => host === domain || host.endsWith(`.${domain}`);

  /** Hostname → [target, resource] wanted by this cluster's sources. */
  const desired = () => {
    const want = new Map<string, { target: string; resource: string }>();
    for (const r of store.list(ROUTES)) {
      const host = (r as RouteLike).spec?.host?.toLowerCase();
      if (!host || !inDomain(host) || r.metadata.deletionTimestamp) continue;
      if (r.metadata.labels?.[ROUTE_VISIBILITY_LABEL] === 'private') continue;
      const admitted = (r as RouteLike).status?.ingress?.some((i) =>
        i.conditions?.some((c) => c.type === 'Admitted' && c.status === 'True'),
      );
      if (!admitted) continue;
      want.set(host, { target: ingressAddress, resource: `route/${r.metadata.namespace}/${r.metadata.name}` });
    }
    for (const s of store.list(SERVICES)) {
      const spec = s['spec'] as { type?: string } | undefined;
      const names = s.metadata.annotations?.[HOSTNAME_ANNOTATION];
      if (spec?.type !== 'LoadBalancer' || !names || s.metadata.deletionTimestamp) continue;
      const ip = (s['status'] as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress?.[0]?.ip;
      for (const n of names.split(',').map((x) => x.trim().toLowerCase())) {
        if (n && inDomain(n)) want.set(n, { target: ip ?? ingressAddress, resource: `service/${s.metadata.namespace}/${s.metadata.name}` });
      }
    }
    return want;
  };
  const ownerOfHost = (host: string) => {
    for (const name of txtRecordNames(host, suffix)) {
      for (const v of zone.get(name, 'TXT') ?? []) {
        const o = ownerOf(v);
        if (o) return o;
      }
    }
    return undefined;
  };

  const sync = () => {
    if (!running()) return;
    const want = desired();
    const blocked: string[] = [];
    for (const [host, { target, resource }] of want) {
      const owner = ownerOfHost(host);
      if ((owner && owner !== ownerId) || (!owner && zone.get(host, 'A'))) {
        blocked.push(host);
        continue;
      }
      const txt = `heritage=external-dns,external-dns/owner=${ownerId},external-dns/resource=${resource}`;
      if (zone.get(host, 'A')?.join() !== target) zone.set(host, 'A', [target]);
      for (const name of txtRecordNames(host, suffix)) if (zone.get(name, 'TXT')?.join() !== txt) zone.set(name, 'TXT', [txt]);
    }
    for (const set of zone.list()) {
      if (set.type !== 'A' || !inDomain(set.name) || want.has(set.name) || ownerOfHost(set.name) !== ownerId) continue;
      zone.delete(set.name, 'A');
      for (const name of txtRecordNames(set.name, suffix)) zone.delete(name, 'TXT');
    }
    conflicts = blocked.sort();
  };

  let queued: NodeJS.Timeout | undefined;
  const queue = () => {
    if (queued || stopped) return;
    queued = setTimeout(() => {
      queued = undefined;
      sync();
    }, options.syncDelayMs ?? 0);
  };
  const unsubscribe = store.subscribe((e) => {
    if (same(e.resource, ROUTES) || same(e.resource, SERVICES) || same(e.resource, DEPLOYMENTS)) queue();
  });
  // Another owner releasing a name is seen at the next sync, as external-dns sees it at its next interval.
  const unzone = zone.onChange(() => queue());
  queue();

  return {
    ownerId,
    domainFilter: domain,
    ingressAddress,
    get running() {
      return running();
    },
    sync,
    conflicts: () => conflicts.slice(),
    halt() {
      halted = true;
    },
    resume() {
      halted = false;
      queue();
    },
    stop() {
      stopped = true;
      if (queued) clearTimeout(queued);
      unsubscribe();
      unzone();
    },
  };
}
