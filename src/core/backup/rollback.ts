/**
 * Compensations registered as changes are made, run in reverse on failure. Each is idempotent
 * (it may also be run later by `resume`), and every one is attempted even if another fails.
 */
import { causeText } from '../errors.ts';
import type { Reporter } from '../ports.ts';

interface Compensation {
  name: string;
  undo: () => Promise<void>;
  /** Failure is reported but does not leave the cluster changed (e.g. deleting an orphan upload). */
  bestEffort: boolean;
}

export class Rollback {
  readonly #steps: Compensation[] = [];
  readonly #reporter: Reporter;

  constructor(reporter: Reporter) {
    this.#reporter = reporter;
  }

  push(name: string, undo: () => Promise<void>, options: { bestEffort?: boolean } = {}): void {
    this.#steps.push({ name, undo, bestEffort: options.bestEffort ?? false });
  }

  /** Forgets compensations whose work the forward path has already undone. */
  drop(...names: string[]): void {
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      if (names.includes(this.#steps[i]?.name ?? '')) this.#steps.splice(i, 1);
    }
  }

  /** Runs every compensation, newest first; returns the failures that leave the cluster changed. */
  async run(): Promise<string[]> {
    const failures: string[] = [];
    for (const step of [...this.#steps].reverse()) {
      try {
        this.#reporter.info(`rollback: ${step.name}`);
        await step.undo();
      } catch (err) {
        const text = `${step.name}: ${causeText(err)}`;
        if (step.bestEffort) this.#reporter.warn(`rollback could not ${text}`);
        else failures.push(text);
      }
    }
    this.#steps.length = 0;
    return failures;
  }
}
