/** Time and progress for unit tests: a clock that moves only when slept on, a reporter that keeps its lines. */
import type { Clock, Reporter } from '../../../src/core/ports.ts';

/** Time moves only when someone sleeps: waits finish at once and deadlines are exact. */
export class FakeClock implements Clock {
  #now: number;
  onSleep: (() => void) | undefined;
  constructor(start = Date.parse('2026-11-29T12:00:00Z')) {
    this.#now = start;
  }
  now(): Date {
    return new Date(this.#now);
  }
  async sleep(ms: number): Promise<void> {
    this.#now += ms;
    this.onSleep?.();
  }
}

/** Keeps info and warn lines as "info: ..." / "warn: ..."; debug is dropped. */
export function memoryReporter(): Reporter & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info: ${m}`), warn: (m) => lines.push(`warn: ${m}`), debug: () => undefined };
}
