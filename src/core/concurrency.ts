/** Bounded concurrency, the one helper for every fleet-wide and bucket-wide loop of core. */

/** Runs fn over items with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** mapBounded for work done for its effects. */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  await mapBounded(items, limit, fn);
}

/**
 * fn over items in their order, at most `limit` of them holding a slot: each holds one from its
 * start until it calls `release` or ends, so the next starts while one finishes what needs no slot.
 * Results keep the input order; the first rejection rejects the call (the others still run).
 */
export async function mapReleasing<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, release: () => void) => Promise<R>,
): Promise<R[]> {
  let free = limit;
  const waiting: (() => void)[] = [];
  const freeSlot = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  const running: Promise<R>[] = [];
  for (const item of items) {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      freeSlot();
    };
    const result = fn(item, release).finally(release);
    result.catch(() => undefined); // settled by Promise.all below: not an unhandled rejection while later items wait
    running.push(result);
  }
  return Promise.all(running);
}
