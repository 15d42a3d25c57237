/**
 * Compensations registered as changes are made, run in reverse on failure.
 *
 * Contract: each compensation is idempotent (it may also be run later by `resume`), and every
 * one is attempted even if another fails. push() returns a handle; the forward path hands it
 * to drop() once it has undone that change itself (names are for messages only, so two
 * compensations may share a name). A bestEffort compensation's failure is reported but does
 * not count as leaving the cluster changed (e.g. deleting an orphan upload).
 */
import { causeText } from '../errors.ts';
import type { Reporter } from '../ports.ts';

/** Identifies one pushed compensation; only drop() uses it. */
export interface CompensationHandle {
  readonly name: string;
}

interface Compensation extends CompensationHandle {
  undo: () => Promise<void>;
  bestEffort: boolean;
}

export class Rollback {
  readonly #steps: Compensation[] = [];
  readonly #reporter: Reporter;

  constructor(reporter: Reporter) {
    this.#reporter = reporter;
  }

  push(name: string, undo: () => Promise<void>, options: { bestEffort?: boolean } = {}): CompensationHandle {
    const step: Compensation = { name, undo, bestEffort: options.bestEffort ?? false };
    this.#steps.push(step);
    return step;
  }

  /** Forgets compensations whose work the forward path has already undone. Unknown handles are ignored. */
  drop(...handles: CompensationHandle[]): void {
    for (let i = this.#steps.length - 1; i >= 0; i--) {
      if (handles.includes(this.#steps[i] as CompensationHandle)) this.#steps.splice(i, 1);
    }
  }

  /** Names of the pending compensations, oldest first (for plans and messages). */
  pending(): string[] {
    return this.#steps.map((s) => s.name);
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
