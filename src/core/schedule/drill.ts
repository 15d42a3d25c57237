/**
 * The restore drills of a schedule (`--drill-every`): the newest backup of every hosted cluster
 * the schedule backs up is drilled on its own cron schedule.
 *  - named hosted clusters: one drill CronJob per cluster (`drill --latest <name>`), each in its own
 *    scratch namespace, as each has its own backup CronJob;
 *  - a fleet: one CronJob running `drill --all`, the newest backup of each cluster under --to (of
 *    -n), one after another in one scratch namespace.
 * Scratch namespaces are named here and passed explicitly, so the RBAC can name them.
 *
 * The drill runs under a ServiceAccount of its own: it needs nothing of the hosted clusters (the
 * keys and PKI it proves come from the backup), so the backup's ServiceAccount gains nothing and
 * the drill's reads no Secret. Its ClusterRole is bound cluster-wide because the scratch namespace
 * exists only during a run (no RoleBinding can wait in it); every rule RBAC lets name its object is
 * narrowed by resourceNames: the scratch namespaces, the etcd pod. Creating a namespace or a pod
 * cannot be narrowed by name in RBAC: those two rules are the drill's whole reach beyond its own objects.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../model.ts';
import { permissionsOf } from '../permissions.ts';
import { policyRules } from '../policy-rules.ts';
import { cronJobName, cronJobObject, podContainer, storeFlags } from './cronjob.ts';
import type { ScheduleRequest } from './types.ts';

export const DRILL_SERVICE_ACCOUNT = 'hcp-dr-drill';
/** Key of the identity Secret (--drill-identity-secret) and where it is mounted. */
export const IDENTITY_KEY = 'identity';
const IDENTITY_MOUNT = '/etc/hcp-dr/age';
const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** A DNS label of at most 63 characters: `base`, shortened with a digest when longer. */
function dnsLabel(base: string): string {
  const name = base
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length <= 63) return name;
  const digest = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, '')}-${digest}`;
}

/** The scratch namespace of each drill CronJob, by the cluster it drills ('' for the fleet's). */
export function scratchNamespaces(request: ScheduleRequest): Map<string, string> {
  const c = request.clusters;
  if (c.type === 'fleet') return new Map([['', dnsLabel(`hcp-dr-drill-${request.jobNamespace}`)]]);
  return new Map([...new Set(c.names)].sort().map((n) => [n, dnsLabel(`hcp-dr-drill-${n}`)]));
}

/** `drill` for one cluster (`name`) or the fleet (''), in `scratch`. */
export function drillArgs(request: ScheduleRequest, name: string, scratch: string): string[] {
  const c = request.clusters;
  const target =
    c.type === 'named' ? ['drill', '--latest', name, '-n', c.namespace] : ['drill', '--all', ...(c.namespace ? ['-n', c.namespace] : [])];
  return [
    ...target,
    '--from',
    request.destination.to,
    '--scratch-namespace',
    scratch,
    ...storeFlags(request.destination, false),
    ...(request.drill?.identitySecret !== undefined ? ['--decrypt-with', `${IDENTITY_MOUNT}/${IDENTITY_KEY}`] : []),
    ...(request.pushgateway !== undefined ? ['--pushgateway', request.pushgateway] : []),
  ];
}

export interface DrillObjects {
  /** The labels of the drill's objects (its ServiceAccount, built by tree.ts as the backup's is, takes them too). */
  labels: Record<string, string>;
  clusterRole: KubeObject;
  clusterRoleBinding: KubeObject;
  cronJobs: KubeObject[];
}

export function drillObjects(request: ScheduleRequest, baseLabels: Record<string, string>): DrillObjects | undefined {
  const drill = request.drill;
  if (!drill) return undefined;
  const labels = { ...baseLabels, 'app.kubernetes.io/component': 'drill' };
  const ns = request.jobNamespace;
  const scratch = scratchNamespaces(request);
  const names = [...scratch.values()].sort();
  const rules = policyRules(permissionsOf('drill').map((p) => (p.namedScratchNamespace ? { ...p, resourceNames: names } : p)));
  const roleName = `hcp-dr.${ns}.drill`;
  const identity = drill.identitySecret;
  const c = request.clusters;
  const cronJobs = [...scratch].map(([name, namespace]) =>
    cronJobObject(request, {
      name: cronJobName(c.type === 'named' ? `drill-${c.namespace}-${name}` : 'drill-fleet'),
      hostedCluster: c.type === 'named' ? `${c.namespace}/${name}` : `${c.namespace ?? '*'}/*`,
      labels,
      schedule: drill.schedule,
      serviceAccount: DRILL_SERVICE_ACCOUNT,
      pod: {
        containers: [
          podContainer(
            request,
            'drill',
            drillArgs(request, name, namespace),
            identity !== undefined ? [{ name: 'age-identity', mountPath: IDENTITY_MOUNT, readOnly: true }] : [],
          ),
        ],
      },
      ...(identity !== undefined
        ? {
            volumes: [
              {
                name: 'age-identity',
                secret: { secretName: identity, defaultMode: 0o400, items: [{ key: IDENTITY_KEY, path: IDENTITY_KEY }] },
              },
            ],
          }
        : {}),
    }),
  );
  return {
    labels,
    clusterRole: { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: roleName, labels }, rules },
    clusterRoleBinding: {
      apiVersion: RBAC_API,
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: DRILL_SERVICE_ACCOUNT, namespace: ns }],
    },
    cronJobs,
  };
}
