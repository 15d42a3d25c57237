/**
 * The restore preflight's checks that read only the backup (and, for the hostnames, whether the
 * target is the management cluster it came from): they change nothing and ask the cluster nothing.
 */
import { PreconditionError, UsageError } from '../errors.ts';
import { Resources, type KubeObject } from '../model.ts';
import { mustAlreadyExist } from '../bundle/requirements.ts';
import { sameManagementCluster } from '../controlplane/management-cluster.ts';
import { snapshotUrlProblem } from '../controlplane/snapshot-access.ts';
import type { DesiredObject, RestoreBundle } from '../contracts/restore.ts';

/** The snapshot URL as the HostedCluster CRD and etcd-init take it (the check move's preflight shares). */
export function checkUrl(url: string): void {
  const problem = snapshotUrlProblem(url);
  if (problem) throw new UsageError(`failed to pre-sign the snapshot: ${problem.cause}`, { hint: problem.hint });
}

export function checkKeyMaterial(bundle: RestoreBundle): void {
  const enc = bundle.manifest.encryption;
  if (
    enc.type === 'aescbc' &&
    !bundle.objects.some(
      (o) => o.object.metadata.name === enc.activeKeySecret && o.object.metadata.namespace === bundle.manifest.hostedCluster.namespace,
    )
  ) {
    throw new PreconditionError(
      `failed to restore from ${bundle.url}: the encryption key Secret ${enc.activeKeySecret} is not in the backup`,
      {
        hint: 'without the original AES-CBC key every Secret in the snapshot is unreadable; restore from a backup that carries it',
      },
    );
  }
}

/**
 * What the backup does not carry (older backups: references and PKI; newer ones: references that
 * did not exist at backup time) must already exist on the target, in the namespaces restored into.
 */
export function checkReferences(bundle: RestoreBundle, desired: DesiredObject[], namespace: string, cp: string): void {
  const source = bundle.manifest.hostedCluster;
  for (const r of mustAlreadyExist(bundle.manifest, bundle.hostedCluster, bundle.nodePools)) {
    const inControlPlane = r.namespace === source.controlPlaneNamespace;
    desired.splice(
      desired.findIndex((d) => d.step === 'hosted-cluster'),
      0,
      {
        step: inControlPlane ? 'control-plane' : 'cluster-data',
        type: r.kind === 'ConfigMap' ? Resources.configMap : Resources.secret,
        object: { apiVersion: 'v1', kind: r.kind, metadata: { name: r.name, namespace: inControlPlane ? cp : namespace } },
        origin: `not in the backup, must exist: ${r.why}`,
        mustExist: true,
      },
    );
  }
}

/** Whether the target is the management cluster the backup was taken on (backup.json `managementCluster`). */
export function sameCluster(bundle: RestoreBundle, kubeSystem: KubeObject | undefined): boolean | undefined {
  return sameManagementCluster(bundle.manifest.managementCluster, kubeSystem);
}

export function checkHostnames(
  bundle: RestoreBundle,
  same: boolean | undefined,
  warnings: string[],
  pass: (c: string, d: string) => void,
): void {
  if (same === true) return pass('hostnames', 'same management cluster as the backup');
  const services = ((bundle.hostedCluster['spec'] as { services?: unknown[] } | undefined)?.services ?? []) as {
    service?: string;
    servicePublishingStrategy?: { type?: string; route?: { hostname?: string }; loadBalancer?: { hostname?: string } };
  }[];
  const hostOf = (s: (typeof services)[number]) =>
    s.servicePublishingStrategy?.route?.hostname ?? s.servicePublishingStrategy?.loadBalancer?.hostname;
  const apiServer = services.find((s) => s.service === 'APIServer');
  const where = same === false ? 'another management cluster' : 'a management cluster hcp-dr cannot tell apart from the source';
  if (apiServer && !hostOf(apiServer) && apiServer.servicePublishingStrategy?.type !== 'NodePort') {
    const text = `the APIServer service has no fixed hostname: on ${where} its address changes and every node and kubeconfig loses the cluster`;
    if (same === false)
      throw new PreconditionError(
        `failed to restore ${bundle.manifest.hostedCluster.namespace}/${bundle.manifest.hostedCluster.name}: ${text}`,
        {
          hint: 'restore on the source management cluster, or give the APIServer a fixed hostname (Route or LoadBalancer hostname) before backing up',
        },
      );
    warnings.push(text);
  }
  const loose = services
    .filter(
      (s) =>
        s.service !== 'APIServer' &&
        (s.servicePublishingStrategy?.type === 'Route' || s.servicePublishingStrategy?.type === 'LoadBalancer') &&
        !hostOf(s),
    )
    .map((s) => s.service);
  if (loose.length) warnings.push(`${loose.join(', ')} without a fixed hostname: their addresses change on ${where}`);
  pass(
    'hostnames',
    apiServer && hostOf(apiServer)
      ? `APIServer at ${hostOf(apiServer)}`
      : `APIServer: ${apiServer?.servicePublishingStrategy?.type ?? 'not published'}`,
  );
}
