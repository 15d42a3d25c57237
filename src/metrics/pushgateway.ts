/**
 * The MetricsSink of a Prometheus Pushgateway, with Node's fetch. Each push is a POST of the text
 * exposition format to /metrics/job/<job>/<label>/<value>...: the Pushgateway replaces, in that
 * group only, the metrics of the names pushed, and keeps the others (a failure's push leaves the
 * last success's timestamp). A push that fails or takes longer than `timeoutMs` is a warning:
 * monitoring never fails a backup.
 */
import type { MetricSample, MetricsSink, Reporter } from '../core/ports.ts';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface PushgatewayOptions {
  /** The interrupt of the run: a push in flight is cut with it. */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The text exposition format (version 0.0.4) of gauges without labels of their own. */
export function exposition(samples: MetricSample[]): string {
  const escapeHelp = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
  return samples.map((s) => `# HELP ${s.name} ${escapeHelp(s.help)}\n# TYPE ${s.name} gauge\n${s.name} ${formatValue(s.value)}\n`).join('');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

/** The group's path: label values URL-encoded, an empty one in the base64 form the Pushgateway defines for it. */
export function groupPath(job: string, labels: Record<string, string>): string {
  const part = (name: string, value: string) => (value === '' ? `${name}@base64/=` : `${name}/${encodeURIComponent(value)}`);
  return ['/metrics', part('job', job), ...Object.entries(labels).map(([k, v]) => part(k, v))].join('/');
}

export function pushgatewaySink(baseUrl: string, reporter: Reporter, options: PushgatewayOptions = {}): MetricsSink {
  const host = new URL(baseUrl).host;
  return {
    async push(job, labels, samples) {
      const what = `${labels['namespace'] ?? ''}/${labels['hosted_cluster'] ?? ''}`;
      const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      try {
        const response = await fetch(baseUrl + groupPath(job, labels), {
          method: 'POST',
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
          body: exposition(samples),
          signal,
        });
        if (!response.ok) {
          const text = (await response.text().catch(() => '')).split('\n')[0]?.slice(0, 200) ?? '';
          reporter.warn(`metrics of ${what} not pushed to the Pushgateway at ${host}: HTTP ${response.status}${text ? ` ${text}` : ''}`);
          return;
        }
        await response.body?.cancel();
        reporter.debug(`metrics of ${what} pushed to ${host} (${job})`);
      } catch (err) {
        const cause = timeout.aborted ? 'no answer in time' : ((err as { cause?: Error }).cause?.message ?? (err as Error).message);
        reporter.warn(`metrics of ${what} not pushed to the Pushgateway at ${host}: ${cause}`);
      }
    },
  };
}
