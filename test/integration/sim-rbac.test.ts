/**
 * RBAC in the API simulator, checked with the real kubectl: ServiceAccounts, Roles/ClusterRoles and
 * their bindings created through the API, a token minted with `kubectl create token`, and what that
 * token may do answered both by `kubectl auth can-i` (SelfSubjectAccessReview) and by plain requests
 * whose 403 kubectl prints as it would from a cluster. Tokens that are not service-account tokens keep
 * the simulator's older rule (sim-kubectl.test.ts).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { authorize, ruleAllows, type Attributes } from '../sandbox/api/rbac-eval.ts';
import { startApiSimulator, type RunningSimulator } from '../sandbox/api/server.ts';

const KUBECTL = '/usr/bin/kubectl';
const HAVE_KUBECTL = existsSync(KUBECTL);
if (!HAVE_KUBECTL)
  console.warn(`skipping sim-rbac kubectl tests: ${KUBECTL} not found (the Google Cloud SDK kubectl dispatcher is part of the CI image)`);

const PODS = { group: '', version: 'v1', plural: 'pods' };
const DEPLOY = { group: 'apps', version: 'v1', plural: 'deployments' };
const NS = { group: '', version: 'v1', plural: 'namespaces' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let sim: RunningSimulator;
let dir: string;
let admin: string;

function kubectl(args: string[], kubeconfig = admin, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      KUBECTL,
      args,
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

const RBAC_OBJECTS = `
apiVersion: v1
kind: Namespace
metadata: {name: hcp-dr}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: backup, namespace: hcp-dr}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: hcp-dr-backup}
rules:
- {apiGroups: [hypershift.openshift.io], resources: [hostedclusters], verbs: [get], resourceNames: [demo]}
- {apiGroups: [""], resources: [pods/exec], verbs: [get, create]}
- {apiGroups: [apps], resources: [deployments/scale], verbs: [patch, get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: hcp-dr-backup}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: hcp-dr-backup}
subjects: [{kind: ServiceAccount, name: backup, namespace: hcp-dr}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: clusters-demo}
rules:
- {apiGroups: [""], resources: [pods, pods/log], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: backup-reads-pods, namespace: clusters-demo}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: ServiceAccount, name: backup, namespace: hcp-dr}]
`;

describe.skipIf(!HAVE_KUBECTL)('RBAC in the API simulator, with kubectl', () => {
  let sa: string;
  beforeAll(async () => {
    sim = await startApiSimulator();
    dir = await mkdtemp(join(tmpdir(), 'sim-rbac-'));
    admin = await sim.writeKubeconfig(join(dir, 'admin'), { token: 'admin-token', namespace: 'clusters', tls: true });
    for (const name of ['clusters', 'clusters-demo', 'other'])
      sim.store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    sim.store.create(
      { group: 'hypershift.openshift.io', version: 'v1beta1', plural: 'hostedclusters' },
      { apiVersion: 'hypershift.openshift.io/v1beta1', kind: 'HostedCluster', metadata: { name: 'demo', namespace: 'clusters' } },
    );
    for (const ns of ['clusters-demo', 'other']) {
      sim.store.create(PODS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'etcd-0', namespace: ns, annotations: { 'sim.hcp-dr/log': 'etcd says hello\n' } },
        spec: { containers: [{ name: 'etcd' }] },
        status: { phase: 'Running' },
      });
    }
    sim.store.create(DEPLOY, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'kube-apiserver', namespace: 'clusters-demo' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'kube-apiserver' } } },
    });
    sim.setExecHandler(async (call) => {
      call.stdout.write(`exec ${call.command.join(' ')}\n`);
      return 0;
    });
    const created = await kubectl(['create', '--validate=false', '-f', '-'], admin, RBAC_OBJECTS);
    expect(created.stderr).toBe('');
    const token = await kubectl(['create', 'token', 'backup', '-n', 'hcp-dr']);
    expect(token.code).toBe(0);
    sa = await sim.writeKubeconfig(join(dir, 'sa'), { token: token.stdout.trim(), namespace: 'clusters-demo', tls: true });
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const canI = async (...args: string[]) => {
    const r = await kubectl(['auth', 'can-i', ...args], sa);
    return `${r.stdout.trim()}${r.code === 0 ? '' : ` (${r.code})`}`;
  };

  it('kubectl auth can-i answers from the bindings: namespaces, subresources, resourceNames, verbs', async () => {
    expect(await canI('get', 'pods')).toBe('yes');
    expect(await canI('get', 'pods/etcd-0')).toBe('yes');
    expect(await canI('get', 'pods', '--subresource=log')).toBe('yes');
    expect(await canI('delete', 'pods')).toBe('no (1)');
    expect(await canI('get', 'pods', '-n', 'other')).toBe('no (1)');
    expect(await canI('list', 'pods', '--all-namespaces')).toBe('no (1)');
    expect(await canI('create', 'pods', '--subresource=exec', '-n', 'other')).toBe('yes');
    expect(await canI('get', 'pods', '--subresource=exec', '-n', 'other')).toBe('yes');
    expect(await canI('delete', 'pods', '--subresource=exec')).toBe('no (1)');
    expect(await canI('patch', 'deployments', '--subresource=scale')).toBe('yes');
    expect(await canI('patch', 'deployments')).toBe('no (1)');
    expect(await canI('get', 'hostedclusters/demo', '-n', 'clusters')).toBe('yes');
    expect(await canI('get', 'hostedclusters/other', '-n', 'clusters')).toBe('no (1)');
    expect(await canI('list', 'hostedclusters', '-n', 'clusters')).toBe('no (1)');
  });

  it('allowed requests work and denied ones print the 403 kube sends, naming the service account', async () => {
    const pods = await kubectl(['get', 'pods', '-o', 'name'], sa);
    expect([pods.code, pods.stdout]).toEqual([0, 'pod/etcd-0\n']);
    const logs = await kubectl(['logs', 'etcd-0'], sa);
    expect([logs.code, logs.stdout]).toEqual([0, 'etcd says hello\n']);
    const exec = await kubectl(['exec', 'etcd-0', '--', 'etcdctl', 'status'], sa);
    expect([exec.code, exec.stdout]).toEqual([0, 'exec etcdctl status\n']);
    const scale = await kubectl(['scale', 'deployment/kube-apiserver', '--replicas=0'], sa);
    expect([scale.code, scale.stdout.trim()]).toEqual([0, 'deployment.apps/kube-apiserver scaled']);

    const other = await kubectl(['get', 'pod', 'etcd-0', '-n', 'other'], sa);
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "etcd-0" is forbidden: User "system:serviceaccount:hcp-dr:backup" cannot get resource "pods" in API group "" in the namespace "other"',
    );
    const all = await kubectl(['get', 'pods', '-A'], sa);
    expect(all.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:hcp-dr:backup" cannot list resource "pods" in API group "" at the cluster scope',
    );
    const del = await kubectl(['delete', 'deployment', 'kube-apiserver'], sa);
    expect(del.stderr.trim()).toBe(
      'Error from server (Forbidden): deployments.apps "kube-apiserver" is forbidden: User "system:serviceaccount:hcp-dr:backup" cannot delete resource "deployments" in API group "apps" in the namespace "clusters-demo"',
    );
    const ns = await kubectl(['get', 'namespace', 'other'], sa);
    expect(ns.stderr.trim()).toBe(
      'Error from server (Forbidden): namespaces "other" is forbidden: User "system:serviceaccount:hcp-dr:backup" cannot get resource "namespaces" in API group "" in the namespace "other"',
    );
  });

  it('a type the server does not serve is authorized first, as kube-apiserver does: 403 for the service account, 404 for the admin', async () => {
    const path = '/apis/config.openshift.io/v1/infrastructures/cluster';
    const denied = await kubectl(['get', '--raw', path], sa);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      /Forbidden.*User "system:serviceaccount:hcp-dr:backup" cannot get resource "infrastructures" in API group "config.openshift.io" at the cluster scope/,
    );
    const missing = await kubectl(['get', '--raw', path], admin);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/NotFound|could not find the requested resource/);
  });

  it('removing a binding removes the permission at once; a group binding grants it back; deleting the ServiceAccount voids its tokens (401)', async () => {
    expect((await kubectl(['delete', 'rolebinding', 'backup-reads-pods', '-n', 'clusters-demo'])).code).toBe(0);
    expect(await canI('get', 'pods')).toBe('no (1)');
    const everything = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: all}
rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: hcp-dr-sas-all, namespace: other}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: all}
subjects: [{kind: Group, name: "system:serviceaccounts:hcp-dr", apiGroup: rbac.authorization.k8s.io}]
`;
    expect((await kubectl(['create', '--validate=false', '-f', '-'], admin, everything)).code).toBe(0);
    expect(await canI('delete', 'pods', '-n', 'other')).toBe('yes');
    expect(await canI('delete', 'pods', '-n', 'clusters-demo')).toBe('no (1)');
    expect((await kubectl(['get', 'pods', '-n', 'other', '-o', 'name'], sa)).stdout).toBe('pod/etcd-0\n');

    expect((await kubectl(['delete', 'serviceaccount', 'backup', '-n', 'hcp-dr'])).code).toBe(0);
    const gone = await kubectl(['get', 'pods', '-n', 'other'], sa);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('error: You must be logged in to the server (Unauthorized)');
  });

  it('a revoked token gets 401; a token of a missing ServiceAccount cannot be minted', async () => {
    sim.store.create(
      { group: '', version: 'v1', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x', namespace: 'other' } },
    );
    const token = sim.tokenFor('other', 'x');
    const kc = await sim.writeKubeconfig(join(dir, 'x'), { token, namespace: 'other', tls: true });
    expect((await kubectl(['get', 'pods'], kc)).stderr).toContain('(Forbidden)');
    sim.revokeToken(token);
    expect((await kubectl(['get', 'pods'], kc)).stderr).toContain('(Unauthorized)');
    const missing = await kubectl(['create', 'token', 'nobody', '-n', 'other']);
    expect(missing.stderr.trim()).toBe('error: failed to create token: serviceaccounts "nobody" not found');
  });
});

describe('exec over WebSocket is a GET: authorized as get on pods/exec, and also as create from Kubernetes 1.35', () => {
  for (const [minor, verbs, refused] of [
    [32, ['create'], 'get'],
    [32, ['get'], undefined],
    [35, ['get'], 'create'],
    [35, ['get', 'create'], undefined],
  ] as const) {
    it(`Kubernetes 1.${minor}, pods/exec [${verbs.join(', ')}]: ${refused ? `403 naming ${refused}` : 'the upgrade is accepted'}`, async () => {
      const s = await startApiSimulator({ kubernetesMinor: minor });
      try {
        const rbac = (plural: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural });
        s.store.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'cp' } });
        s.store.create(
          { group: '', version: 'v1', plural: 'serviceaccounts' },
          { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', namespace: 'cp' } },
        );
        s.store.create(PODS, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'etcd-0', namespace: 'cp' },
          spec: { containers: [{ name: 'etcd' }] },
          status: { phase: 'Running' },
        });
        s.store.create(rbac('roles'), {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'exec', namespace: 'cp' },
          rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: [...verbs] }],
        });
        s.store.create(rbac('rolebindings'), {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'exec', namespace: 'cp' },
          roleRef: { kind: 'Role', name: 'exec' },
          subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'cp' }],
        });
        s.setExecHandler(async () => 0);
        const url = `${s.url.replace('http', 'ws')}/api/v1/namespaces/cp/pods/etcd-0/exec?command=true&container=etcd&stdout=true`;
        const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers: { Authorization: `Bearer ${s.tokenFor('cp', 'sa')}` } });
        ws.on('error', () => {});
        const outcome = await Promise.race([
          once(ws, 'open').then(() => 'open'),
          once(ws, 'unexpected-response').then(async ([, res]) => {
            const chunks: Buffer[] = [];
            for await (const c of res as IncomingMessage) chunks.push(c as Buffer);
            return `${(res as IncomingMessage).statusCode} ${(JSON.parse(Buffer.concat(chunks).toString()) as { message: string }).message}`;
          }),
        ]);
        ws.terminate();
        expect(outcome).toBe(
          refused
            ? `403 pods "etcd-0" is forbidden: User "system:serviceaccount:cp:sa" cannot ${refused} resource "pods/exec" in API group "" in the namespace "cp"`
            : 'open',
        );
      } finally {
        await s.stop();
      }
    });
  }
});

describe('RBAC rule matching (kube-apiserver semantics)', () => {
  const a = (verb: string, resource: string, extra: Partial<Attributes> = {}): Attributes => ({ verb, apiGroup: '', resource, ...extra });
  it('matches verbs, groups, resources, */subresource and resourceNames as kube does', () => {
    expect(ruleAllows({ verbs: ['*'], apiGroups: [''], resources: ['pods'] }, a('delete', 'pods'))).toBe(true);
    expect(ruleAllows({ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, a('get', 'pods'))).toBe(false);
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, a('get', 'pods', { subresource: 'log' }))).toBe(false);
    expect(ruleAllows({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, a('get', 'pods'))).toBe(false);
    expect(
      ruleAllows(
        { verbs: ['patch'], apiGroups: ['*'], resources: ['*/scale'] },
        a('patch', 'statefulsets', { apiGroup: 'apps', subresource: 'scale' }),
      ),
    ).toBe(true);
    expect(ruleAllows({ verbs: ['create'], apiGroups: [''], resources: ['pods/*'] }, a('create', 'pods', { subresource: 'exec' }))).toBe(
      false,
    );
    const named = { verbs: ['get', 'list', 'create'], apiGroups: [''], resources: ['secrets'], resourceNames: ['s3'] };
    expect(ruleAllows(named, a('get', 'secrets', { name: 's3' }))).toBe(true);
    expect(ruleAllows(named, a('get', 'secrets', { name: 'other' }))).toBe(false);
    expect(ruleAllows(named, a('list', 'secrets'))).toBe(false);
    expect(ruleAllows(named, a('create', 'secrets'))).toBe(false);
  });

  it('a RoleBinding grants a ClusterRole in its namespace only; a Role is looked up in the binding namespace', async () => {
    const s = await startApiSimulator();
    try {
      const rbac = (plural: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', plural });
      s.store.create(rbac('clusterroles'), {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'read' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
      });
      s.store.create(rbac('roles'), {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'read', namespace: 'b' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
      });
      s.store.create(rbac('rolebindings'), {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'x', namespace: 'a' },
        roleRef: { kind: 'ClusterRole', name: 'read' },
        subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
      });
      s.store.create(rbac('rolebindings'), {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'y', namespace: 'b' },
        roleRef: { kind: 'Role', name: 'read' },
        subjects: [{ kind: 'User', name: 'system:serviceaccount:a:sa' }],
      });
      const subject = {
        name: 'system:serviceaccount:a:sa',
        groups: ['system:authenticated'],
        serviceAccount: { namespace: 'a', name: 'sa' },
      };
      expect(authorize(s.store, subject, a('get', 'configmaps', { namespace: 'a' })).allowed).toBe(true);
      expect(authorize(s.store, subject, a('get', 'configmaps', { namespace: 'b' })).allowed).toBe(false);
      expect(authorize(s.store, subject, a('get', 'configmaps')).allowed).toBe(false);
      expect(authorize(s.store, subject, a('get', 'secrets', { namespace: 'b' })).reason).toBe(
        'RBAC: allowed by RoleBinding "y/b" of Role "read" to ServiceAccount "sa/a"',
      );
      expect(
        authorize(s.store, { ...subject, serviceAccount: { namespace: 'b', name: 'sa' } }, a('get', 'configmaps', { namespace: 'a' }))
          .allowed,
      ).toBe(false);
    } finally {
      await s.stop();
    }
  });
});
