/**
 * kubectl's connection flags, parsed by the plugin itself: kubectl and oc refuse flags
 * placed before a plugin name ("flags cannot be placed before plugin name").
 */
import type { Options } from 'yargs';
import { UsageError } from '../core/errors.ts';
import type { KubeTarget } from './deps.ts';

export const globalOptions = {
  kubeconfig: { type: 'string', describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)', global: true },
  context: { type: 'string', describe: 'The kubeconfig context to use', global: true },
  namespace: { alias: 'n', type: 'string', describe: 'Namespace of the HostedCluster', global: true },
  output: { alias: 'o', type: 'string', describe: 'Output format: table|json|yaml', global: true },
  verbose: { alias: 'v', type: 'boolean', describe: 'Verbose output: debug lines and stack traces', global: true },
  'request-timeout': {
    type: 'string',
    describe: 'Time to wait for a single API request (e.g. 30s, 1m; 0 = no timeout)',
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
  if (args.namespace !== undefined) target.namespace = requireValue('--namespace', args.namespace);
  const timeout = parseDuration(args['request-timeout'] ?? '0', '--request-timeout');
  if (timeout > 0) target.requestTimeoutMs = timeout;
  return target;
}

function requireValue(flag: string, value: string): string {
  if (value.trim() === '') throw new UsageError(`${flag} needs a value`);
  return value;
}

/** Durations as kubectl takes them: a bare number of seconds, or Go-style units (1h2m3s, 500ms). */
export function parseDuration(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`invalid duration "${text}" for ${flag}`, { hint: 'use a form like 30s, 5m, 1h30m or 7d' });
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (units[p[2] ?? 's'] ?? 1000), 0);
}
