/**
 * The move's preflight: reads only, on both management clusters and the bucket, before the first
 * change. A failed check refuses the move (PreconditionError naming every failure); what only
 * deserves attention is a warning.
 */
import { EtcdUnhealthyError, OperationInProgressError, PreconditionError } from '../errors.ts';
import { controlPlaneNamespace, Resources, type KubeObject } from '../model.ts';
import { preflight as backupPreflight, type Preflight as BackupPreflight } from '../capture/plan.ts';
import { readReplicas } from '../controlplane/quiesce.ts';
import { listNodePools } from '../controlplane/hosted-cluster.ts';
import { readMoveAnnotation, readOperation, type MoveEndpoint } from '../operation/record.ts';
import { BackupFiles, backupPrefix } from '../bundle/layout.ts';
import { MAX_SNAPSHOT_URL_LENGTH, probeBucket, probeSnapshotUrl } from '../controlplane/snapshot-access.ts';
import { checkEtcdImageTrust, TRUST_CHECK_NAME } from '../controlplane/snapshot-trust.ts';
import type { BackupRequest } from '../capture/request.ts';
import type { ResourceType } from '../ports.ts';
import type { PreflightCheck } from '../contracts/restore.ts';
import { apiHostname, domainFilters, inDomains, needsExternalDns, platformOf, publishedServices } from './facts.ts';
import { resumeCommandOf } from './sides.ts';
import { FROZEN_DEPLOYMENTS, MOVE_URL_EXPIRY_SECONDS, type MoveRequest, type MoveSides } from './types.ts';

const INFRASTRUCTURE: ResourceType = {
  group: 'config.openshift.io',
  version: 'v1',
  plural: 'infrastructures',
  kind: 'Infrastructure',
  clusterScoped: true,
};
export const HYPERSHIFT_NAMESPACE = 'hypershift';

export interface MovePreflight {
  hc: KubeObject;
  nodePools: KubeObject[];
  apiHostname: string;
  sourceAddresses: string[];
  backup: BackupPreflight;
  /** spec.replicas of the FROZEN_DEPLOYMENTS before the freeze. */
  replicas: Record<string, number>;
  checks: PreflightCheck[];
  warnings: string[];
}

export async function movePreflight(req: MoveRequest, sides: MoveSides, backupRequest: BackupRequest): Promise<MovePreflight> {
  const { namespace, name } = req;
  const cp = controlPlaneNamespace(namespace, name);
  const src = sides.source.api;
  const dst = sides.destination.api;
  const checks: PreflightCheck[] = [];
  const warnings: string[] = [];
  const check = (checkName: string, ok: boolean, detail: string) => checks.push({ name: checkName, ok, detail });

  if (src.describeTarget() === dst.describeTarget())
    throw new PreconditionError(
      `failed to move "${namespace}/${name}": the source and destination are the same management cluster (${src.describeTarget()})`,
      {
        hint: 'pass the other management cluster with --to-context (and --to-kubeconfig when it is in another file)',
      },
    );
  // The source's etcd, HostedCluster, encryption key and bucket (the backup's own preflight).
  const backup = await backupPreflight(
    { ...backupRequest, force: true },
    { api: src, exec: sides.source.exec, reporter: { info() {}, warn() {}, debug() {} } },
  );
  const hc = backup.hc;
  // One lock across both sides: a record of an unfinished run on either cluster refuses the move.
  const dstHc = await dst.get(Resources.hostedCluster, namespace, name);
  refuseLeftoverRecord(req, hc, req.source);
  if (dstHc) refuseLeftoverRecord(req, dstHc, req.destination);
  const verdict = backup.verdict;
  check(
    'source etcd',
    verdict.state === 'Healthy' || req.force,
    `${verdict.state}: ${verdict.reason}${verdict.state !== 'Healthy' && req.force ? ' (--force)' : ''}`,
  );
  if (verdict.state !== 'Healthy' && !req.force)
    throw new EtcdUnhealthyError(`failed to move "${namespace}/${name}": the source's etcd is ${verdict.state}: ${verdict.reason}`, {
      hint: `check "{cmd} etcd status ${name} -n ${namespace}"; --force moves the snapshot of the chosen member anyway`,
    });

  const host = apiHostname(hc);
  check('API hostname', host !== undefined, host ?? 'spec.services APIServer has no fixed hostname');
  for (const s of publishedServices(hc))
    if (s.service !== 'APIServer' && !s.hostname)
      warnings.push(
        `service ${s.service} (${s.type}) has no fixed hostname: its address changes with the move, and clients that pinned it need the new one`,
      );

  await checkDestination(req, sides, { hc, dstHc, host }, check, warnings);
  const probeUrl = await checkStore(req, sides, check);
  // The source's etcd pods run the image the destination's HyperShift will run for the restored etcd.
  const trust = probeUrl
    ? await checkEtcdImageTrust({
        api: src,
        exec: sides.source.exec,
        url: probeUrl,
        namespaces: [cp],
        ...(req.via.caBundle ? { caBundle: req.via.caBundle } : {}),
        noPodReason: `no Running etcd pod in ${cp} on the source`,
      })
    : undefined;
  if (trust) {
    check(TRUST_CHECK_NAME, trust.ok, trust.ok ? trust.detail : `${trust.detail} (${trust.hint})`);
    if (trust.warning) warnings.push(trust.warning);
  }
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0)
    throw new PreconditionError(`failed to move "${namespace}/${name}": ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`, {
      hint: 'nothing was changed; fix these on the management clusters (--dry-run shows every check) and run the move again',
    });

  const replicas = await readReplicas(
    { api: src, controlPlaneNamespace: cp },
    FROZEN_DEPLOYMENTS,
    'the control plane looks incomplete: a move freezes these four deployments',
  );
  const sourceAddresses = host ? await sides.resolver.resolve4(host) : [];
  if (host && sourceAddresses.length === 0)
    warnings.push(`${host} does not resolve through ${sides.resolver.describe()} now: the DNS hand-off has nothing to wait for`);
  const nodePools = await listNodePools(src, namespace, name);
  return { hc, nodePools, apiHostname: host ?? '', sourceAddresses, backup, replicas, checks, warnings };
}

/** The destination: its HyperShift operator, external DNS where the cluster needs it, free of the cluster, same platform. */
async function checkDestination(
  req: MoveRequest,
  sides: MoveSides,
  found: { hc: KubeObject; dstHc: KubeObject | undefined; host: string | undefined },
  check: (n: string, ok: boolean, d: string) => void,
  warnings: string[],
): Promise<void> {
  const { namespace, name } = req;
  const { hc, dstHc, host } = found;
  const cp = controlPlaneNamespace(namespace, name);
  const dst = sides.destination.api;
  const [operator, externalDns, dstNs, infra] = await Promise.all([
    dst.get(Resources.deployment, HYPERSHIFT_NAMESPACE, 'operator'),
    dst.get(Resources.deployment, HYPERSHIFT_NAMESPACE, 'external-dns'),
    dst.get(Resources.namespace, '', cp),
    dst.get(INFRASTRUCTURE, '', 'cluster').catch(() => undefined),
  ]);
  const ready = (d: KubeObject | undefined) => ((d?.['status'] as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0) > 0;
  check(
    'destination HyperShift operator',
    ready(operator),
    operator
      ? `deployment ${HYPERSHIFT_NAMESPACE}/operator ${ready(operator) ? 'ready' : 'not ready'}`
      : `no deployment ${HYPERSHIFT_NAMESPACE}/operator`,
  );
  if (needsExternalDns(hc)) {
    const filters = externalDns ? domainFilters(externalDns) : [];
    const running = ((externalDns?.['spec'] as { replicas?: number } | undefined)?.replicas ?? 1) > 0;
    const covers = host !== undefined && inDomains(host, filters);
    check(
      'destination external DNS',
      externalDns !== undefined && running && covers,
      !externalDns
        ? `no deployment ${HYPERSHIFT_NAMESPACE}/external-dns: a ${platformOf(hc).type} cluster with Public endpoint access needs it to publish ${host ?? 'the API hostname'}`
        : !running
          ? `deployment ${HYPERSHIFT_NAMESPACE}/external-dns is scaled to 0`
          : covers
            ? `--domain-filter ${filters.join(',') || '(none)'} covers ${host}`
            : `--domain-filter ${filters.join(',')} does not cover ${host}`,
    );
  }
  check(
    'destination is free',
    !dstHc && !dstNs,
    dstHc
      ? `HostedCluster ${namespace}/${name} exists there`
      : dstNs
        ? `namespace ${cp} exists there`
        : `no HostedCluster ${namespace}/${name}, no namespace ${cp}`,
  );
  const platform = platformOf(hc);
  const infraStatus = (infra?.['status'] ?? {}) as { platformStatus?: { type?: string; aws?: { region?: string } } };
  if (!infraStatus.platformStatus?.type)
    warnings.push(
      `could not read the destination's platform (infrastructures.config.openshift.io/cluster): check by hand that it runs on ${platform.type}${platform.region ? ` in ${platform.region}` : ''}`,
    );
  else {
    const same =
      infraStatus.platformStatus.type === platform.type && (!platform.region || infraStatus.platformStatus.aws?.region === platform.region);
    check(
      'same platform and region',
      same,
      `hosted cluster ${platform.type} ${platform.region ?? ''}, destination ${infraStatus.platformStatus.type} ${infraStatus.platformStatus.aws?.region ?? ''}`.trim(),
    );
  }
}

/**
 * The snapshot URL the destination's restore will sign (same store, credentials, endpoint and
 * lifetime, a key as long as the real one), then the bucket: written, read back and deleted
 * (--dry-run only lists it).
 */
async function checkStore(
  req: MoveRequest,
  sides: MoveSides,
  check: (n: string, ok: boolean, d: string) => void,
): Promise<string | undefined> {
  const key = `${backupPrefix(sides.prefix, req.namespace, req.name, 'x'.repeat(8))}/${BackupFiles.snapshot}`;
  const url = await probeSnapshotUrl(sides.store, key, MOVE_URL_EXPIRY_SECONDS).catch((err: unknown) => ({
    length: 0,
    problem: { cause: `could not pre-sign it: ${(err as Error).message}`, hint: '' },
    url: '',
  }));
  const usable = url.problem === undefined ? url.url : undefined;
  check(
    'snapshot URL',
    url.problem === undefined,
    url.problem
      ? `${url.problem.cause} (${url.problem.hint})`
      : `https, ${url.length} of ${MAX_SNAPSHOT_URL_LENGTH} characters, valid ${MOVE_URL_EXPIRY_SECONDS / 60} minutes`,
  );
  if (req.dryRun) {
    const listed = await sides.store.list(sides.prefix ? `${sides.prefix}/` : '').then(
      () => undefined,
      (err: unknown) => (err as Error).message,
    );
    check('bucket', listed === undefined, listed ?? `${sides.store.url(sides.prefix)} readable with these credentials (written when run)`);
    return usable;
  }
  const failure = await probeBucket(sides.store, sides.prefix, crypto.randomUUID().slice(0, 8));
  check('bucket', failure === undefined, failure ?? `${sides.store.url(sides.prefix)} writable and readable with these credentials`);
  return usable;
}

/** Refuses while `hc` on `side` carries a record of an unfinished run, naming where resume runs. */
function refuseLeftoverRecord(req: MoveRequest, hc: KubeObject, side: MoveEndpoint): void {
  const op = readOperation(hc)?.operation ?? readMoveAnnotation(hc);
  if (!op) return;
  const where = side === req.source ? 'source' : 'destination';
  throw new OperationInProgressError(
    `failed to move "${req.namespace}/${req.name}": the ${where} (context ${side.context}) holds hcp-dr operation ${op.id} (${op.type}, ${op.phase}) of it, unfinished`,
    {
      hint: `nothing was changed; if that run is no longer active (it may still be running on another machine: check first), finish or undo it with: ${resumeCommandOf(side, req.namespace, req.name)}`,
    },
  );
}
