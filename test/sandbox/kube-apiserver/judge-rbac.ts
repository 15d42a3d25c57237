/**
 * RBAC material for the kube-apiserver judge (test/integration/apiserver-judge.test.ts): the schedule's
 * ServiceAccount and its RBAC objects exactly as src/core/schedule/rbac.ts makes them (and the drill's, as
 * src/core/schedule/drill.ts makes them), on both sides, and
 * SelfSubjectAccessReviews that ask what it may do.
 */
import { rbacObjects, SERVICE_ACCOUNT } from '../../../src/core/schedule/rbac.ts';
import { DRILL_SERVICE_ACCOUNT, drillObjects } from '../../../src/core/schedule/drill.ts';
import type { ScheduleRequest } from '../../../src/core/schedule/types.ts';
import { disagreement, type BothOptions, type Judge } from './judge.ts';

/** [verb, API group, resource[/subresource], namespace ('' for cluster scope)] */
/** [verb, group, resource(/subresource), namespace ('' for none), name (optional)]. */
export type Access = [string, string, string, string, string?];

export function review([verb, group, resource, namespace, name]: Access): unknown {
  const [res, subresource] = resource.split('/');
  const resourceAttributes: Record<string, string> = { verb, group, resource: res ?? '' };
  if (subresource) resourceAttributes['subresource'] = subresource;
  if (namespace) resourceAttributes['namespace'] = namespace;
  if (name) resourceAttributes['name'] = name;
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes } };
}

async function agreeing(judge: Judge, what: string, method: string, urlPath: string, options: BothOptions) {
  const p = await judge.both(method, urlPath, options);
  const d = disagreement(what, p);
  if (d) throw new Error(d);
  return p;
}

/** Creates the schedule's ServiceAccount and RBAC on both sides; returns its tokens (TokenRequest). */
export async function scheduleServiceAccount(judge: Judge, request: ScheduleRequest): Promise<{ real: string; sim: string }> {
  const ns = request.jobNamespace;
  const rbacApi = '/apis/rbac.authorization.k8s.io/v1';
  await agreeing(judge, 'job namespace', 'POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
  await agreeing(judge, 'service account', 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
    body: { metadata: { name: SERVICE_ACCOUNT } },
  });
  const objects = rbacObjects(request, { 'app.kubernetes.io/managed-by': 'hcp-dr' });
  for (const o of objects.clusterRoles) await agreeing(judge, 'ClusterRole', 'POST', `${rbacApi}/clusterroles`, { body: o });
  for (const o of objects.clusterRoleBindings)
    await agreeing(judge, 'ClusterRoleBinding', 'POST', `${rbacApi}/clusterrolebindings`, { body: o });
  for (const o of objects.roleBindings) {
    await agreeing(judge, 'RoleBinding', 'POST', `${rbacApi}/namespaces/${o.metadata.namespace}/rolebindings`, { body: o });
  }
  const p = await agreeing(judge, 'TokenRequest', 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${SERVICE_ACCOUNT}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const token = (a: { body: unknown }) => (a.body as { status: { token: string } }).status.token;
  return { real: token(p.real), sim: token(p.sim) };
}

/** Creates the drill's ServiceAccount and RBAC (src/core/schedule/drill.ts) on both sides; returns its tokens. */
export async function drillServiceAccount(judge: Judge, request: ScheduleRequest): Promise<{ real: string; sim: string }> {
  const ns = request.jobNamespace;
  const rbacApi = '/apis/rbac.authorization.k8s.io/v1';
  const drill = drillObjects(request, { 'app.kubernetes.io/managed-by': 'hcp-dr' });
  if (!drill) throw new Error('the request has no drill');
  await agreeing(judge, 'job namespace', 'POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
  await agreeing(judge, 'drill service account', 'POST', `/api/v1/namespaces/${ns}/serviceaccounts`, {
    body: { metadata: { name: DRILL_SERVICE_ACCOUNT } },
  });
  await agreeing(judge, 'drill ClusterRole', 'POST', `${rbacApi}/clusterroles`, { body: drill.clusterRole });
  await agreeing(judge, 'drill ClusterRoleBinding', 'POST', `${rbacApi}/clusterrolebindings`, { body: drill.clusterRoleBinding });
  const p = await agreeing(judge, 'TokenRequest', 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${DRILL_SERVICE_ACCOUNT}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  const token = (a: { body: unknown }) => (a.body as { status: { token: string } }).status.token;
  return { real: token(p.real), sim: token(p.sim) };
}
