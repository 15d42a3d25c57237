/**
 * Which resource types the simulator serves: the built-in set the plugin needs, plus any CRD stored
 * (loaded from a directory or created through the API). Lookups are by URL coordinates
 * (group, version, plural); objects are stored once per group+plural whatever the version.
 */
import type { GroupResource, SimObject } from './types.ts';

export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceInfo {
  group: string;
  /** Every version served; the first is the preferred/storage one. */
  versions: string[];
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  status: boolean;
  scale?: ScaleSpec;
  exec?: boolean;
  /** serviceaccounts/token (TokenRequest) is served. */
  token?: boolean;
  /** Verbs served when not every CRUD verb is (SelfSubjectAccessReview: create only). */
  verbs?: string[];
  /** true when registered from a CRD object (so deleting the CRD unregisters it). */
  fromCrd?: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const RESOURCE_VERBS: readonly string[] = ALL_VERBS;

function r(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceInfo> = {},
): ResourceInfo {
  return {
    group,
    versions: [version],
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames: [],
    categories: [],
    status: false,
    ...extra,
  };
}

const REPLICAS: ScaleSpec = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.spec.selector',
};

function builtins(): ResourceInfo[] {
  const hs = 'hypershift.openshift.io';
  const capi = 'cluster.x-k8s.io';
  const capa = 'infrastructure.cluster.x-k8s.io';
  return [
    r('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], status: true }),
    r('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], status: true, exec: true }),
    r('', 'v1', 'secrets', 'Secret', true),
    r('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
    r('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], status: true }),
    r('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { shortNames: ['pvc'], status: true }),
    r('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
    r('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], status: true }),
    r('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'], token: true }),
    r('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], status: true, scale: REPLICAS }),
    r('apps', 'v1', 'statefulsets', 'StatefulSet', true, { shortNames: ['sts'], categories: ['all'], status: true, scale: REPLICAS }),
    r('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], status: true }),
    r('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'], status: true }),
    r('batch', 'v1', 'cronjobs', 'CronJob', true, { shortNames: ['cj'], categories: ['all'], status: true }),
    r('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
    r('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
    r('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
    r('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
    r('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'] }),
    r('route.openshift.io', 'v1', 'routes', 'Route', true, { status: true }),
    r(hs, 'v1beta1', 'hostedclusters', 'HostedCluster', true, { shortNames: ['hc', 'hcs'], status: true }),
    r(hs, 'v1beta1', 'nodepools', 'NodePool', true, {
      shortNames: ['np', 'nps'],
      status: true,
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
    }),
    r(hs, 'v1beta1', 'hostedcontrolplanes', 'HostedControlPlane', true, {
      shortNames: ['hcp', 'hcps'],
      categories: ['cluster-api'],
      status: true,
    }),
    r(capi, 'v1beta1', 'clusters', 'Cluster', true, { categories: ['cluster-api'], status: true }),
    r(capi, 'v1beta1', 'machinedeployments', 'MachineDeployment', true, { categories: ['cluster-api'], status: true, scale: REPLICAS }),
    r(capi, 'v1beta1', 'machinesets', 'MachineSet', true, { categories: ['cluster-api'], status: true, scale: REPLICAS }),
    r(capi, 'v1beta1', 'machines', 'Machine', true, { categories: ['cluster-api'], status: true }),
    r(capa, 'v1beta2', 'awsclusters', 'AWSCluster', true, { categories: ['cluster-api'], status: true }),
    r(capa, 'v1beta2', 'awsmachinetemplates', 'AWSMachineTemplate', true, { categories: ['cluster-api'] }),
    r(capa, 'v1beta2', 'awsmachines', 'AWSMachine', true, { categories: ['cluster-api'], status: true }),
    r('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, {
      shortNames: ['crd', 'crds'],
      status: true,
    }),
  ];
}

function key(group: string, plural: string): string {
  return `${group}/${plural}`;
}

export class Registry {
  private readonly byKey = new Map<string, ResourceInfo>();

  constructor() {
    for (const info of builtins()) this.byKey.set(key(info.group, info.plural), info);
  }

  /** The resource served at /apis/<group>/<version>/<plural>, if any. */
  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    const info = this.byKey.get(key(group, plural));
    return info && info.versions.includes(version) ? info : undefined;
  }

  /** Like lookup but ignores the version: the store addresses objects by group+plural. */
  info(resource: Pick<GroupResource, 'group' | 'plural'>): ResourceInfo | undefined {
    return this.byKey.get(key(resource.group, resource.plural));
  }

  all(): ResourceInfo[] {
    return [...this.byKey.values()];
  }

  /**
   * Groups in a stable order: core first, then Kubernetes' own groups, then OpenShift's (*.openshift.io),
   * then the rest, each by name. Each with its versions (preferred first). kubectl resolves a bare
   * resource name to the first group serving it, so as on OpenShift a bare `machines` means
   * machines.machine.openshift.io, not machines.cluster.x-k8s.io (hypershift-domain.md §1.1).
   */
  groups(): Array<{ name: string; versions: string[] }> {
    const m = new Map<string, string[]>();
    for (const info of this.byKey.values()) {
      const vs = m.get(info.group) ?? [];
      for (const v of info.versions) if (!vs.includes(v)) vs.push(v);
      m.set(info.group, vs);
    }
    const rank = (g: string) => (g === '' ? 0 : !g.includes('.') || g.endsWith('.k8s.io') ? 1 : g.endsWith('.openshift.io') ? 2 : 3);
    return [...m.entries()]
      .sort(([a], [b]) => rank(a) - rank(b) || (a === b ? 0 : a < b ? -1 : 1))
      .map(([name, versions]) => ({ name, versions }));
  }

  resourcesIn(group: string, version: string): ResourceInfo[] {
    return this.all().filter((i) => i.group === group && i.versions.includes(version));
  }

  /**
   * Registers the resource a CRD object defines. A built-in entry keeps its identity but takes the
   * CRD's versions and subresources, so a CRD loaded from disk is authoritative for what it declares.
   */
  registerCrd(crd: SimObject): ResourceInfo | undefined {
    const spec = crd['spec'] as CrdSpec | undefined;
    if (!spec?.group || !spec.names?.plural || !spec.names.kind) return undefined;
    const served = (spec.versions ?? []).filter((v) => v.served !== false);
    if (served.length === 0) return undefined;
    served.sort((a, b) => Number(b.storage === true) - Number(a.storage === true));
    const sub = served[0]?.subresources ?? {};
    const existing = this.byKey.get(key(spec.group, spec.names.plural));
    const info: ResourceInfo = {
      group: spec.group,
      versions: served.map((v) => v.name),
      plural: spec.names.plural,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
      kind: spec.names.kind,
      namespaced: spec.scope !== 'Cluster',
      shortNames: spec.names.shortNames ?? [],
      categories: spec.names.categories ?? [],
      status: sub.status !== undefined,
      fromCrd: existing ? existing.fromCrd : true,
    };
    if (sub.scale) info.scale = sub.scale;
    this.byKey.set(key(info.group, info.plural), info);
    return info;
  }

  /** Forgets a CRD-defined resource (built-ins stay). */
  unregisterCrd(crd: SimObject): void {
    const spec = crd['spec'] as CrdSpec | undefined;
    if (!spec?.group || !spec.names?.plural) return;
    const k = key(spec.group, spec.names.plural);
    if (this.byKey.get(k)?.fromCrd) this.byKey.delete(k);
  }
}

interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { plural?: string; singular?: string; kind?: string; shortNames?: string[]; categories?: string[] };
  versions?: Array<{ name: string; served?: boolean; storage?: boolean; subresources?: { status?: unknown; scale?: ScaleSpec } }>;
}
