/**
 * The kinds `export` knows: how to list them, where they land in the tree, their Argo CD
 * sync wave and their place in kustomization.yaml. Order of KNOWN_KINDS is dependency order.
 * Waves: namespaces -3, Secrets/ConfigMaps -2, control-plane objects -1 (a move applies them
 * before the HostedCluster), HostedCluster 0, NodePools 1 (after the cluster they name).
 */
import type { ResourceType } from '../ports.ts';
import type { KubeObject } from '../model.ts';

export type KindRole = 'namespace' | 'secret' | 'configmap' | 'hostedcluster' | 'nodepool' | 'controlplane';

export interface KnownKind extends ResourceType {
  role: KindRole;
  wave: number;
  /** Whether Argo CD should skip the dry run when the CRD is missing (HyperShift and CAPI CRs). */
  skipDryRun: boolean;
}

const CAPI = 'cluster.x-k8s.io';
const CAPA = 'infrastructure.cluster.x-k8s.io';
const HS = 'hypershift.openshift.io';

function k(kind: string, group: string, version: string, plural: string, role: KindRole, wave: number, clusterScoped = false): KnownKind {
  const crd = group !== '' && group !== 'apps';
  return { kind, group, version, plural, role, wave, skipDryRun: crd, ...(clusterScoped ? { clusterScoped } : {}) };
}

/** Dependency order: what an apply must create first comes first. */
export const KNOWN_KINDS: readonly KnownKind[] = [
  k('Namespace', '', 'v1', 'namespaces', 'namespace', -3, true),
  k('Secret', '', 'v1', 'secrets', 'secret', -2),
  k('ConfigMap', '', 'v1', 'configmaps', 'configmap', -2),
  k('HostedControlPlane', HS, 'v1beta1', 'hostedcontrolplanes', 'controlplane', -1),
  k('Cluster', CAPI, 'v1beta1', 'clusters', 'controlplane', -1),
  k('AWSCluster', CAPA, 'v1beta2', 'awsclusters', 'controlplane', -1),
  k('AWSMachineTemplate', CAPA, 'v1beta2', 'awsmachinetemplates', 'controlplane', -1),
  k('MachineDeployment', CAPI, 'v1beta1', 'machinedeployments', 'controlplane', -1),
  k('MachineSet', CAPI, 'v1beta1', 'machinesets', 'controlplane', -1),
  k('Machine', CAPI, 'v1beta1', 'machines', 'controlplane', -1),
  k('AWSMachine', CAPA, 'v1beta2', 'awsmachines', 'controlplane', -1),
  k('HostedCluster', HS, 'v1beta1', 'hostedclusters', 'hostedcluster', 0),
  k('NodePool', HS, 'v1beta1', 'nodepools', 'nodepool', 1),
];

/** The control-plane namespace kinds a move carries (hypershift-domain §2.7), listed by type. */
export const CONTROL_PLANE_KINDS: readonly KnownKind[] = KNOWN_KINDS.filter((x) => x.role === 'controlplane');

/** `Kind.group` ("Secret" for the core group), the fully qualified name kubectl accepts. */
export function qualifiedKindOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): string {
  const group = groupOf(obj.apiVersion);
  return group === '' ? String(obj.kind) : `${obj.kind}.${group}`;
}

export function groupOf(apiVersion: string | undefined): string {
  const v = apiVersion ?? '';
  const slash = v.indexOf('/');
  return slash < 0 ? '' : v.slice(0, slash);
}

export function qualifiedName(kind: KnownKind): string {
  return kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`;
}

export function knownKindOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): KnownKind | undefined {
  const group = groupOf(obj.apiVersion);
  return KNOWN_KINDS.find((x) => x.kind === obj.kind && x.group === group);
}

/** Rank in dependency order; unknown kinds sort after every known kind. */
export function kindRank(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): number {
  const known = knownKindOf(obj);
  return known ? KNOWN_KINDS.indexOf(known) : KNOWN_KINDS.length;
}
