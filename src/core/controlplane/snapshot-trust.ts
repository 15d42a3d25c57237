/**
 * Whether the etcd image trusts the S3 endpoint: the check restore's and move's preflights share.
 * etcd-init downloads restoreSnapshotURL with the etcd image's own curl and its own CA trust store,
 * never with the --ca-bundle hcp-dr was given (hypershift-domain.md §1.7). An endpoint under a CA the
 * image does not trust fails only once the restored etcd starts (curl exit 60): in a move, after the
 * point of no return. So before the first change, the same curl fetches a pre-signed probe URL from a
 * Running etcd pod of the same image. The URL is a credential: it goes to the pod on stdin and into
 * curl through a shell variable, never on a command line, in a message or in a log.
 */
import { ForbiddenError } from '../errors.ts';
import { Etcd, Resources, type KubeObject } from '../model.ts';
import type { KubeApi, PodExec } from '../ports.ts';
import { redactSecrets } from '../redact.ts';

/** curl's exit codes for a certificate the trust store refuses (curl(1)): 35 TLS handshake, 51 peer
 * certificate, 60 unknown issuer, 77 trust store unreadable. */
export const CURL_TRUST_CODES: Readonly<Record<number, string>> = {
  35: 'the TLS handshake failed',
  51: "the endpoint's certificate does not match its name",
  60: "the endpoint's certificate is signed by a CA the image does not trust",
  77: "the image's CA trust store could not be read",
};

/** Reads the URL from stdin into a variable: the exec's command line (audit logs) never holds it. */
const PROBE_SCRIPT = `IFS= read -r URL; exec curl -sS -o /dev/null -w '%{http_code}' "$URL"`;

export interface TrustCheckInput {
  api: KubeApi;
  exec: PodExec;
  /** A pre-signed URL with the restore's endpoint and credentials (its key need not exist). */
  url: string;
  /** Control-plane namespaces whose Running etcd pods run the image the restore will run, best first. */
  namespaces: readonly string[];
  /** Also any other Running etcd pod on this management cluster (the same HyperShift builds it). */
  anyEtcdPod?: boolean;
  /** --ca-bundle, when the endpoint needed one for hcp-dr itself. */
  caBundle?: string;
  /** Why no etcd pod can be asked, for the warning when none is found (e.g. "another management cluster"). */
  noPodReason?: string;
  signal?: AbortSignal;
}

export interface TrustCheck {
  /** The preflight row: ok false refuses (exit 3). */
  ok: boolean;
  detail: string;
  /** Refusal: the hint that names the ways out. */
  hint?: string;
  /** What deserves attention without refusing. */
  warning?: string;
}

export const TRUST_CHECK_NAME = 'etcd image trusts the endpoint';

/** Runs the probe (read-only: a GET of a pre-signed URL) in one Running etcd pod; undefined for a non-https URL. */
export async function checkEtcdImageTrust(input: TrustCheckInput): Promise<TrustCheck | undefined> {
  if (!/^https:\/\//i.test(input.url)) return undefined;
  const pod = await findEtcdPod(input);
  if (!pod) {
    const why = input.noPodReason ?? 'no Running etcd pod of that image on this management cluster';
    return {
      ok: true,
      detail: `not checked: ${why}`,
      ...(input.caBundle
        ? {
            warning: `--ca-bundle ${input.caBundle}: hcp-dr cannot check whether the etcd image trusts the endpoint's CA (${why}); etcd-init downloads the snapshot with its image's own trust store, not this file, and fails (curl exit 60) if the image does not trust it`,
          }
        : {}),
    };
  }
  const where = `etcd pod ${pod.namespace}/${pod.name}${pod.image ? ` (${pod.image})` : ''}`;
  let result: { exitCode: number; stdout: string; stderr: string };
  try {
    result = await input.exec.exec({
      namespace: pod.namespace,
      pod: pod.name,
      container: Etcd.container,
      command: ['/bin/sh', '-c', PROBE_SCRIPT],
      stdin: Buffer.from(`${input.url}\n`),
      description: "curl of a pre-signed probe URL with the etcd image's trust store",
      ...(input.signal ? { signal: input.signal } : {}),
    });
  } catch (err) {
    if (input.signal?.aborted) throw err;
    const why = err instanceof ForbiddenError ? 'pods/exec is not allowed' : (err as Error).message;
    return {
      ok: true,
      detail: `not checked: could not exec in ${where}: ${redactSecrets(why)}`,
      warning: `could not check whether the etcd image trusts the S3 endpoint (exec in ${where}: ${redactSecrets(why)}); etcd-init downloads the snapshot with that image's curl`,
    };
  }
  const curlLine = redactSecrets(/curl: \(\d+\)[^\n]*/.exec(result.stderr)?.[0]?.trim() ?? '').slice(0, 200);
  const code = result.exitCode;
  if (code === 0) return { ok: true, detail: `${where}: curl reached the endpoint over TLS (HTTP ${result.stdout.trim() || '?'})` };
  const trust = CURL_TRUST_CODES[code];
  if (trust)
    return {
      ok: false,
      detail: `${where}: ${trust} (curl exit ${code}${curlLine ? `: ${curlLine}` : ''}); etcd-init would fail to download the snapshot`,
      hint: `etcd-init uses the etcd image's trust store, not --ca-bundle: use an S3 endpoint whose certificate a publicly trusted CA signs, or an etcd image that trusts the endpoint's CA${input.caBundle ? ` (${input.caBundle})` : ''}`,
    };
  const what = code === 127 ? 'the etcd image has no curl or /bin/sh' : `curl exit ${code}${curlLine ? `: ${curlLine}` : ''}`;
  return {
    ok: true,
    detail: `inconclusive: ${where}: ${what}`,
    warning: `could not confirm from ${where} that etcd-init can download the snapshot (${what}); check the endpoint is reachable from the etcd pods`,
  };
}

interface EtcdPod {
  namespace: string;
  name: string;
  image: string | undefined;
}

async function findEtcdPod(input: TrustCheckInput): Promise<EtcdPod | undefined> {
  for (const ns of input.namespaces) {
    const pod = pick(await input.api.list(Resources.pod, ns, { labelSelector: Etcd.podSelector }).catch(() => []));
    if (pod) return pod;
  }
  if (!input.anyEtcdPod) return undefined;
  return pick(await input.api.list(Resources.pod, undefined, { labelSelector: Etcd.podSelector }).catch(() => []));
}

/** The first pod whose etcd container runs (exec needs it), by name for a stable choice. */
function pick(pods: KubeObject[]): EtcdPod | undefined {
  const running = pods
    .filter((p) => {
      const status = p['status'] as { phase?: string; containerStatuses?: { name?: string; state?: { running?: unknown } }[] } | undefined;
      const etcd = status?.containerStatuses?.find((c) => c.name === Etcd.container);
      return status?.phase === 'Running' && (etcd === undefined || etcd.state?.running !== undefined);
    })
    .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  const p = running[0];
  if (!p) return undefined;
  const containers = (p['spec'] as { containers?: { name?: string; image?: string }[] } | undefined)?.containers ?? [];
  return {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name ?? '',
    image: containers.find((c) => c.name === Etcd.container)?.image,
  };
}
