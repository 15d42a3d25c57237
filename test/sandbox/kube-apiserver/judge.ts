/**
 * Differential testing of the API simulator against a real kube-apiserver (server.ts): the same
 * request goes to both and the answers are reduced to what hcp-dr depends on: the status code, kube's
 * reason, and for 422 Invalid the (reason, field) of every cause; not kube's exact wording.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import yaml from 'js-yaml';
import { request, type Answer, type ApiTarget } from './server.ts';

export interface Side extends ApiTarget {
  /** The token every request of the test carries unless it names another. */
  token?: string;
}

export interface Pair {
  real: Answer;
  sim: Answer;
}

/** What the judge compares of one answer. */
export interface Outcome {
  status: number;
  reason?: string;
  causes?: string[];
}

export function outcome(a: Answer): Outcome {
  if (a.status < 400) return { status: a.status };
  const body = (typeof a.body === 'object' && a.body !== null ? a.body : {}) as {
    reason?: string;
    details?: { causes?: Array<{ reason?: string; field?: string }> };
  };
  const o: Outcome = { status: a.status };
  if (body.reason !== undefined) o.reason = body.reason;
  // A set: kube-apiserver repeats some causes (metadata checks run twice for built-in types).
  if (a.status === 422) o.causes = [...new Set((body.details?.causes ?? []).map((c) => `${c.reason ?? ''} ${c.field ?? ''}`))].sort();
  return o;
}

export interface BothOptions {
  body?: unknown;
  /** A body per side (e.g. each side's resourceVersion); wins over `body`. */
  bodyFor?: (side: 'real' | 'sim') => unknown;
  contentType?: string;
  tokens?: { real: string; sim: string };
}

export class Judge {
  readonly real: Side;
  readonly sim: Side;
  constructor(real: Side, sim: Side) {
    this.real = real;
    this.sim = sim;
  }

  /** Sends the request to both; `tokens` overrides each side's token (e.g. a ServiceAccount's). */
  async both(method: string, urlPath: string, options: BothOptions = {}): Promise<Pair> {
    const send = (side: Side, token: string | undefined) => {
      const o: { token?: string; body?: unknown; contentType?: string } = {};
      if (token !== undefined) o.token = token;
      const body = options.bodyFor ? options.bodyFor(side === this.real ? 'real' : 'sim') : options.body;
      if (body !== undefined) o.body = body;
      if (options.contentType !== undefined) o.contentType = options.contentType;
      return request(side, method, urlPath, o);
    };
    const [real, sim] = await Promise.all([
      send(this.real, options.tokens?.real ?? this.real.token),
      send(this.sim, options.tokens?.sim ?? this.sim.token),
    ]);
    return { real, sim };
  }
}

/** A readable line for a disagreement, for a list the test expects to be empty. */
export function disagreement(what: string, p: Pair): string | undefined {
  const r = outcome(p.real);
  const s = outcome(p.sim);
  if (JSON.stringify(r) === JSON.stringify(s)) return undefined;
  const msg = (a: Answer) => ((a.body as { message?: string } | undefined)?.message ?? '').slice(0, 300);
  return `${what}: real ${JSON.stringify(r)} ${msg(p.real)} | sim ${JSON.stringify(s)} ${msg(p.sim)}`;
}

/** One case of an OpenShift CRD test suite (../shared/hypershift/crd-tests/*.testsuite.yaml). */
export interface CrdTestCase {
  suite: string;
  name: string;
  kind: 'onCreate' | 'onUpdate';
  initial: Record<string, unknown>;
  updated?: Record<string, unknown>;
  expectedError?: string;
}

export async function crdTestCases(dir: string): Promise<CrdTestCase[]> {
  const out: CrdTestCase[] = [];
  for (const f of (await readdir(dir)).filter((n) => n.endsWith('.testsuite.yaml')).sort()) {
    const suite = yaml.load(await readFile(path.join(dir, f), 'utf8')) as {
      tests?: Record<string, Array<{ name: string; initial: string; updated?: string; expectedError?: string }>>;
    };
    for (const kind of ['onCreate', 'onUpdate'] as const) {
      for (const t of suite.tests?.[kind] ?? []) {
        const c: CrdTestCase = { suite: f, name: t.name, kind, initial: yaml.load(t.initial) as Record<string, unknown> };
        if (t.updated) c.updated = yaml.load(t.updated) as Record<string, unknown>;
        if (t.expectedError) c.expectedError = t.expectedError;
        out.push(c);
      }
    }
  }
  return out;
}

/**
 * Runs one CRD test-suite case on both sides as `namespace/name` (create, then the update with each side's
 * resourceVersion) and deletes it; returns the disagreements, including a real server that does not
 * reject exactly where the suite expects it.
 */
export async function judgeCrdCase(judge: Judge, c: CrdTestCase, namespace: string, name: string): Promise<string[]> {
  const kind = String(c.initial['kind']);
  const obj = (o: Record<string, unknown>) => ({ ...o, metadata: { ...(o['metadata'] as object), name, namespace } });
  const created = await judge.both('POST', hypershiftPath(kind, namespace), { body: obj(c.initial) });
  let last = created;
  let d = disagreement(`${c.suite} ${c.kind} "${c.name}" (create)`, created);
  const updated = c.updated;
  if (!d && updated && created.real.status === 201) {
    const rv = (p: { body: unknown }) => (p.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const update = (side: 'real' | 'sim') => ({ ...obj(updated), metadata: { name, namespace, resourceVersion: rv(created[side]) } });
    last = await judge.both('PUT', hypershiftPath(kind, namespace, name), { bodyFor: update });
    d = disagreement(`${c.suite} ${c.kind} "${c.name}" (update)`, last);
  }
  const out = d ? [d] : [];
  if (last.real.status >= 400 !== (c.expectedError !== undefined)) out.push(`real server vs suite: ${c.name} got ${last.real.status}`);
  await judge.both('DELETE', hypershiftPath(kind, namespace, name));
  return out;
}

/** The collection path of a HyperShift object's kind in `namespace`. */
export function hypershiftPath(kind: string, namespace: string, name?: string): string {
  const plural = `${kind.toLowerCase()}s`;
  return `/apis/hypershift.openshift.io/v1beta1/namespaces/${namespace}/${plural}${name ? `/${name}` : ''}`;
}

const SERVICES = ['APIServer', 'OAuthServer', 'Konnectivity', 'Ignition'].map((service) => ({
  service,
  servicePublishingStrategy: { type: 'Route', route: {} },
}));

function managedEtcd(restoreSnapshotURL?: string[]): Record<string, unknown> {
  const storage: Record<string, unknown> = { type: 'PersistentVolume', persistentVolume: { size: '8Gi' } };
  if (restoreSnapshotURL) storage['restoreSnapshotURL'] = restoreSnapshotURL;
  return { managementType: 'Managed', managed: { storage } };
}

/** A HostedCluster the CRD accepts (the CRD test suites' minimal shape). */
export function hostedCluster(name: string, namespace: string, restoreSnapshotURL?: string[]): Record<string, unknown> {
  return {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedCluster',
    metadata: { name, namespace },
    spec: {
      dns: { baseDomain: 'example.com' },
      etcd: managedEtcd(restoreSnapshotURL),
      platform: { type: 'AWS' },
      pullSecret: { name: 'secret' },
      release: { image: 'quay.io/openshift-release-dev/ocp-release:4.15.11-x86_64' },
      services: SERVICES,
    },
  };
}

/** A HostedControlPlane with every field its CRD requires, as the operator writes it. */
export function hostedControlPlane(name: string, namespace: string, restoreSnapshotURL?: string[]): Record<string, unknown> {
  return {
    apiVersion: 'hypershift.openshift.io/v1beta1',
    kind: 'HostedControlPlane',
    metadata: { name, namespace },
    spec: {
      dns: { baseDomain: 'example.com' },
      etcd: managedEtcd(restoreSnapshotURL),
      infraID: 'demo-abcde',
      issuerURL: 'https://kubernetes.default.svc',
      platform: { type: 'AWS' },
      pullSecret: { name: 'pull-secret' },
      releaseImage: 'quay.io/openshift-release-dev/ocp-release:4.15.11-x86_64',
      services: SERVICES,
      sshKey: { name: 'ssh-key' },
    },
  };
}
