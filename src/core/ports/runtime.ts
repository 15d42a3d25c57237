/** The process around a workflow: the clock, the human reporter, and the metrics sink. */

/** Wall-clock time, injected so workflows and their outputs are deterministic in tests. */
export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Human progress and notices (stderr). Data never goes here. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /** Verbose detail, shown with -v only. */
  debug(message: string): void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason);
        },
        { once: true },
      );
    }),
};

/** One gauge of a metrics push: a name in Prometheus' conventions, its help text and value; labels come from the group. */
export interface MetricSample {
  name: string;
  help: string;
  value: number;
}

/**
 * Results pushed for monitoring (a Prometheus Pushgateway). `job` and `labels` are the grouping
 * key; a push replaces, within that group, only the metrics of the same names (Pushgateway POST),
 * so a failure's push leaves the last success's timestamp as it was. No secrets, no URLs.
 * Never throws: a failed push is a warning of the adapter, never a failure of the workflow.
 */
export interface MetricsSink {
  push(job: string, labels: Record<string, string>, samples: MetricSample[]): Promise<void>;
}
