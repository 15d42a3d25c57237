/**
 * Which Secrets of the control-plane namespace a backup carries, and what a restore without them
 * breaks (hypershift-domain.md §5, §2.7 step 7). Pure; shared by backup (capture), restore and
 * move (through restore's path).
 *
 * The control-plane operator generates a NEW certificate authority for every CA Secret it does not
 * find, and re-issues the leaves from whatever CA is present. Everything outside the control plane
 * that presents or trusts a certificate of the old CA (nodes' kubelets, konnectivity agents, saved
 * admin kubeconfigs) and every service-account token (signed with `sa-signing-key`) then stops
 * working. So, as the docs' DR backup does, a backup carries every Secret of the control-plane
 * namespace except those that are credentials of a single run or re-created by their owner:
 *  - service-account tokens (type kubernetes.io/service-account-token, or a name saying so),
 *  - docker configs (type kubernetes.io/dockercfg|dockerconfigjson, or a name containing "docker"):
 *    the pull secret is copied in again by the operator from the HostedCluster namespace,
 *  - `oauth-openshift` Secrets (session and serving material of the OAuth server, re-issued),
 *  - per-cluster and bootstrap token Secrets (`token-<hosted cluster>...`, type
 *    bootstrap.kubernetes.io/token): NodePool join tokens, re-created per NodePool generation,
 *  - copies the operator makes of the HostedCluster namespace's Secrets (the encryption key), which
 *    the backup carries from there,
 *  - Secrets whose controller owner is a Pod, Job, ReplicaSet, ServiceAccount, Deployment or
 *    StatefulSet: that owner re-creates them.
 * ConfigMaps of the control-plane namespace are NOT carried: the trust bundles (`root-ca`,
 * `client-ca`, `kubelet-client-ca`, ...) are derived from the CA Secrets, which the operator
 * rebuilds from the carried CAs; carrying them adds nothing and could only be stale.
 */
import type { KubeObject } from '../model.ts';

/** The independent CAs of a control plane (§5), each a Secret holding ca.crt and ca.key. */
export const CONTROL_PLANE_CA_SECRETS = [
  'root-ca',
  'etcd-signer',
  'etcd-metrics-signer',
  'konnectivity-signer',
  'aggregator-client-signer',
  'kube-control-plane-signer',
  'kube-apiserver-to-kubelet-signer',
  'system-admin-signer',
  'hcco-signer',
  'csr-signer',
  'ignition-server-ca',
] as const;

/** The service-account signing key (service-account.key / service-account.pub). */
export const SERVICE_ACCOUNT_KEY_SECRET = 'sa-signing-key';

/** The Secrets whose loss changes the control plane's identity: every CA and the service-account key. */
export const IDENTITY_SECRETS: readonly string[] = [...CONTROL_PLANE_CA_SECRETS, SERVICE_ACCOUNT_KEY_SECRET];

/** What outside the control plane stops working when a new one replaces each identity Secret (in the order told). */
const BREAKS: [secrets: string[], breaks: string][] = [
  [
    ['csr-signer', 'kube-apiserver-to-kubelet-signer'],
    "existing nodes' kubelets (their client certificates, their trust in the API server)",
  ],
  [['konnectivity-signer'], 'the konnectivity agents on the nodes (logs, exec and webhooks through the tunnel)'],
  [['system-admin-signer'], 'saved admin kubeconfigs (system:admin client certificates)'],
  [['root-ca'], 'clients that trust the old serving certificates'],
  [['sa-signing-key'], 'service-account tokens held by workloads in the hosted cluster'],
];

const RE_CREATING_OWNERS = new Set(['Pod', 'Job', 'ReplicaSet', 'ServiceAccount', 'Deployment', 'StatefulSet']);

export interface ExcludedSecret {
  name: string;
  /** Why it is not carried (one phrase). */
  reason: string;
}

export interface ControlPlaneSecretSelection {
  carried: KubeObject[];
  excluded: ExcludedSecret[];
}

/** Why a Secret of the control-plane namespace is left out, or undefined when it is carried. */
export function exclusionReason(
  secret: KubeObject,
  hostedClusterName: string,
  copies: ReadonlySet<string> = new Set(),
): string | undefined {
  const name = secret.metadata.name ?? '';
  if (copies.has(name)) return 'copied in by the operator from the HostedCluster namespace (carried from there)';
  const raw: unknown = secret['type'];
  const type = typeof raw === 'string' ? raw : '';
  if (type === 'kubernetes.io/service-account-token' || name.includes('service-account-token')) return 'service-account token';
  if (type === 'kubernetes.io/dockercfg' || type === 'kubernetes.io/dockerconfigjson' || name.includes('docker'))
    return 'docker config (the operator copies the pull secret in again)';
  if (name.includes('oauth-openshift')) return 'OAuth server session material (re-issued)';
  if (type === 'bootstrap.kubernetes.io/token' || (hostedClusterName !== '' && name.includes(`token-${hostedClusterName}`)))
    return 'per-cluster token (re-created per NodePool)';
  const owners = (secret.metadata['ownerReferences'] ?? []) as { kind?: string; controller?: boolean }[];
  const owner = owners.find((o) => o.controller && o.kind && RE_CREATING_OWNERS.has(o.kind));
  if (owner) return `owned by a ${owner.kind} that re-creates it`;
  return undefined;
}

/**
 * The carried Secrets (sorted by name) and the excluded ones with their reasons. `copies`: names of
 * the HostedCluster namespace's Secrets the backup carries anyway (the encryption key, the pull
 * secret), which the operator copies into the control-plane namespace under the same name.
 */
export function selectControlPlaneSecrets(
  secrets: readonly KubeObject[],
  hostedClusterName: string,
  copies: ReadonlySet<string> = new Set(),
): ControlPlaneSecretSelection {
  const carried: KubeObject[] = [];
  const excluded: ExcludedSecret[] = [];
  const sorted = [...secrets].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const s of sorted) {
    if (s.metadata.deletionTimestamp) continue;
    const reason = exclusionReason(s, hostedClusterName, copies);
    if (reason) excluded.push({ name: s.metadata.name ?? '', reason });
    else carried.push(s);
  }
  return { carried, excluded };
}

/**
 * The identity Secrets a restore will not bring (not in `carried`), and one sentence naming what
 * HyperShift re-generates and what that breaks; undefined when nothing is missing.
 */
export function continuityGap(
  carried: ReadonlySet<string>,
  controlPlaneNamespace: string,
): { missing: string[]; warning: string } | undefined {
  const missing = IDENTITY_SECRETS.filter((n) => !carried.has(n));
  if (missing.length === 0) return undefined;
  const breaks = BREAKS.filter(([secrets]) => secrets.some((n) => missing.includes(n))).map(([, what]) => what);
  const warning =
    `the backup does not carry ${missing.join(', ')} (older backups carry root-ca, etcd-signer and sa-signing-key only): ` +
    `unless they still exist in ${controlPlaneNamespace}, HyperShift generates new ones` +
    (breaks.length ? `, which breaks ${breaks.join('; ')}` : '') +
    '; nodes then need new certificates (replace them through their NodePools) and admin kubeconfigs must be fetched again';
  return { missing, warning };
}
