/**
 * OpenShift's own Machine API on a management cluster (test support, never shipped): CRDs
 * machines/machinesets.machine.openshift.io and one worker Machine in openshift-machine-api, so bare
 * `machines` is ambiguous as on OpenShift (hypershift-domain.md §1.1). crd() builds a schema-less CRD
 * for stand-ins that serve a kind the simulator does not know (AWSEndpointService).
 */
import { CRDS } from '../api/crds.ts';
import type { GroupResource, SimObject, SimStore } from '../api/types.ts';
import { NAMESPACES } from './control-plane.ts';

export function crd(group: string, kind: string, plural: string, version: string): SimObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}

/** OpenShift's Machine API (machine.openshift.io) on a management cluster, with one worker Machine of its own. */
export function installMachineApi(store: SimStore): void {
  for (const [kind, plural] of [
    ['Machine', 'machines'],
    ['MachineSet', 'machinesets'],
  ] as const) {
    if (!store.get(CRDS, undefined, `${plural}.machine.openshift.io`))
      store.create(CRDS, crd('machine.openshift.io', kind, plural, 'v1beta1'));
  }
  if (!store.get(NAMESPACES, undefined, 'openshift-machine-api'))
    store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'openshift-machine-api' } });
  const machines: GroupResource = { group: 'machine.openshift.io', version: 'v1beta1', plural: 'machines' };
  if (!store.get(machines, 'openshift-machine-api', 'mgmt-worker-a-1')) {
    store.create(machines, {
      apiVersion: 'machine.openshift.io/v1beta1',
      kind: 'Machine',
      metadata: {
        name: 'mgmt-worker-a-1',
        namespace: 'openshift-machine-api',
        labels: { 'machine.openshift.io/cluster-api-machine-role': 'worker' },
      },
      spec: { providerSpec: {} },
      status: { phase: 'Running' },
    });
  }
}
