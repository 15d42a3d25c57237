/**
 * kubectl's connection flags, parsed by the plugin itself: kubectl and oc refuse flags
 * placed before a plugin name ("flags cannot be placed before plugin name").
 */
import type { Options } from 'yargs';
import { UsageError } from '../core/errors.ts';
import type { KubeTarget } from './deps.ts';

export const globalOptions = {
  kubeconfig: {
    type: 'string',
    describe: "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account)",
    global: true,
  },
  context: { type: 'string', describe: 'The kubeconfig context to use', global: true },
  namespace: { alias: 'n', type: 'string', describe: 'Namespace of the HostedCluster', global: true },
  output: { alias: 'o', type: 'string', describe: 'Output format: table|json|yaml', global: true },
  verbose: { alias: 'v', type: 'boolean', describe: 'Verbose output: debug lines and stack traces', global: true },
  'request-timeout': {
    type: 'string',
    describe:
      'Time to wait for a single API request, e.g. 30s, 1m (0 = no timeout). S3: how long the store may stay silent in one attempt (connecting, TLS, answering, mid-transfer; default 120s); a silent store fails the request at once, without retry; other S3 errors are tried at most 3 times: an S3 request ends within 3 x this + 3s unless data keeps moving',
    default: '0',
    global: true,
  },
} satisfies Record<string, Options>;

export interface GlobalArgs {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output?: string;
  verbose?: boolean;
  'request-timeout'?: string;
}

export function kubeTargetOf(args: GlobalArgs): KubeTarget {
  const target: KubeTarget = {};
  if (args.kubeconfig !== undefined) target.kubeconfig = requireValue('--kubeconfig', args.kubeconfig);
  if (args.context !== undefined) target.context = requireValue('--context', args.context);
  if (args.namespace !== undefined) target.namespace = namespaceOf(requireValue('--namespace', args.namespace), '--namespace');
  const timeout = boundedDuration(
    args['request-timeout'] ?? '0',
    '--request-timeout',
    { minMs: 0, maxMs: MAX_TIMER_DURATION_MS },
    '0 means no timeout',
  );
  if (timeout > 0) target.requestTimeoutMs = timeout;
  return target;
}

/**
 * A namespace as the API server takes it (a DNS-1123 label): checked before anything is read, so a
 * typo is refused in --dry-run too, not at the first create.
 */
export function namespaceOf(value: string, flag: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new UsageError(
      `invalid ${flag} "${value}": a namespace is at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit`,
      {
        hint: 'list the namespaces with "kubectl get namespaces"',
      },
    );
  }
  return value;
}

function requireValue(flag: string, value: string): string {
  if (value.trim() === '')
    throw new UsageError(`${flag} needs a value`, { hint: `pass ${flag} <value>, or leave the flag out for the kubeconfig's default` });
  return value;
}

/**
 * The longest duration any flag takes: 24h. Node's timers overflow above 2^31-1 ms (about
 * 24.8 days: the timer then fires at once, with a TimeoutOverflowWarning), and no wait or
 * pause of a backup is sensible beyond a day.
 */
export const MAX_TIMER_DURATION_MS = 24 * 3_600_000;

/** Flags whose value is a duration or a count: the only ones that may take a value starting with "-" (then refused as negative). */
const DURATION_FLAGS = new Set([
  '--request-timeout',
  '--pause-ttl',
  '--wait-timeout',
  '--expires',
  '--max-backup-age',
  '--dns-timeout',
  '--incomplete-grace',
  '--keep-within',
  '--keep-last',
  '--keep-hourly',
  '--keep-daily',
  '--keep-weekly',
  '--keep-monthly',
  '--keep-yearly',
  '--concurrency',
  '--active-deadline',
  '--starting-deadline',
]);

/**
 * `--pause-ttl -5m` reaches the parser as a flag and a group of short flags ("-5m"): joined
 * here into `--pause-ttl=-5m`, so the value is refused as a negative duration, not as
 * "Unknown arguments: 5, m".
 */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (DURATION_FLAGS.has(arg) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Durations as kubectl takes them: a bare number of seconds, or Go-style units (1h2m3s, 500ms). */
export function parseDuration(text: string, flag: string): number {
  if (/^-/.test(text.trim())) {
    throw new UsageError(`invalid duration "${text}" for ${flag}: a duration cannot be negative`, {
      hint: 'use a form like 30s, 5m, 1h30m or 7d',
    });
  }
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`invalid duration "${text}" for ${flag}`, { hint: 'use a form like 30s, 5m, 1h30m or 7d' });
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? 's'] ?? 1000), 0);
}

/** A duration flag within [minMs, maxMs]; the message names the bounds as the user writes them. */
export function boundedDuration(text: string, flag: string, bounds: { minMs: number; maxMs: number }, hint?: string): number {
  const ms = parseDuration(text, flag);
  if (ms < bounds.minMs || ms > bounds.maxMs || !Number.isFinite(ms)) {
    throw new UsageError(
      `invalid ${flag} "${text}": it must be between ${humanDuration(bounds.minMs)} and ${humanDuration(bounds.maxMs)}`,
      hint ? { hint } : {},
    );
  }
  return ms;
}

function humanDuration(ms: number): string {
  if (ms === 0) return '0';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
