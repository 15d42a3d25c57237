/**
 * The restore preflight's row for the etcd image's CA trust (controlplane/snapshot-trust.ts): a
 * probe URL pre-signed like the snapshot's (same store, credentials, endpoint and lifetime; a key that
 * need not exist, so nothing is downloaded) fetched with the curl of a Running etcd pod: the old one
 * for --replace (or an unfinished run), else any etcd pod on this management cluster.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeApi, ObjectStore, PodExec } from '../ports.ts';
import { checkEtcdImageTrust, TRUST_CHECK_NAME } from '../controlplane/snapshot-trust.ts';
import type { Preflight } from './preflight.ts';

export interface RestoreTrustInput {
  api: KubeApi;
  exec: PodExec;
  store: ObjectStore;
  prefix: string;
  expiresInSeconds: number;
  namespace: string;
  name: string;
  cp: string;
  caBundle?: string;
  signal?: AbortSignal;
}

/** Adds the row (and a warning) to `pre`; throws PreconditionError (exit 3) when the image does not trust the endpoint. */
export async function checkRestoreTrust(input: RestoreTrustInput, pre: Preflight): Promise<void> {
  const key = `${input.prefix ? `${input.prefix}/` : ''}.hcp-dr-trust-probe`;
  const url = await input.store.presignGet(key, input.expiresInSeconds).catch(() => '');
  const elsewhere = pre.sameManagementCluster === false;
  const trust = await checkEtcdImageTrust({
    api: input.api,
    exec: input.exec,
    url,
    namespaces: [input.cp],
    anyEtcdPod: true,
    ...(input.caBundle ? { caBundle: input.caBundle } : {}),
    noPodReason: `no Running etcd pod on ${elsewhere ? "this management cluster (not the backup's)" : 'this management cluster'} to run the etcd image's curl in`,
    ...(input.signal ? { signal: input.signal } : {}),
  });
  if (!trust) return;
  pre.checks.push({ name: TRUST_CHECK_NAME, ok: trust.ok, detail: trust.detail });
  if (trust.warning) pre.warnings.push(trust.warning);
  if (!trust.ok)
    throw new PreconditionError(`failed to restore ${input.namespace}/${input.name}: ${trust.detail}`, {
      hint: `nothing was changed; ${trust.hint ?? ''}`,
    });
}
