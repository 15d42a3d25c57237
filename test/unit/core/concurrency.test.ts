/**
 * mapReleasing: the bound holds on work that has not released its slot, a released slot starts the
 * next item at once while the releasing one goes on, and results keep the input order.
 */
import { describe, expect, it } from 'vitest';
import { mapReleasing } from '../../../src/core/concurrency.ts';

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('mapReleasing', () => {
  it('starts at most `limit` items until one releases its slot or ends; results keep the input order', async () => {
    const started: number[] = [];
    const gates = [0, 1, 2, 3].map(() => ({ release: gate(), end: gate() }));
    const run = mapReleasing([0, 1, 2, 3], 2, async (i, release) => {
      started.push(i);
      // Item 0 never releases early: only its end frees its slot.
      if (i !== 0) {
        await gates[i]!.release.promise;
        release();
      }
      await gates[i]!.end.promise;
      return `r${i}`;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]!.release.open(); // 1 released its slot but goes on: 2 starts
    await tick();
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.end.open(); // 0 ends without releasing first: its slot goes to 3
    await tick();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const g of gates) {
      g.release.open();
      g.end.open();
    }
    expect(await run).toEqual(['r0', 'r1', 'r2', 'r3']);
  });

  it('a release called twice frees one slot only', async () => {
    const started: number[] = [];
    const hold = gate();
    const run = mapReleasing([0, 1, 2], 1, async (i, release) => {
      started.push(i);
      if (i === 0) {
        release();
        release();
      }
      await hold.promise;
      return i;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    hold.open();
    expect(await run).toEqual([0, 1, 2]);
  });
});
