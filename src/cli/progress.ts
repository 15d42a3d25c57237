/**
 * A one-line transfer progress (bytes, rate, ETA) redrawn on stderr when it is a terminal;
 * nothing at all otherwise, so logs and pipes stay clean.
 */
import type { Writable } from 'node:stream';
import { humanBytes } from './format.ts';

export interface Progress {
  update(bytes: number): void;
  setTotal(total: number): void;
  done(): void;
}

export function createProgress(stream: Writable, enabled: boolean, label: string, now: () => number = Date.now): Progress {
  if (!enabled) return { update: () => undefined, setTotal: () => undefined, done: () => undefined };
  const start = now();
  let total = 0;
  let lastDraw = 0;
  let drawn = false;
  const draw = (bytes: number) => {
    const seconds = Math.max((now() - start) / 1000, 0.001);
    const rate = bytes / seconds;
    const eta = total > bytes && rate > 0 ? ` ETA ${Math.ceil((total - bytes) / rate)}s` : '';
    const of = total > 0 ? ` of ${humanBytes(total)}` : '';
    stream.write(`\r\x1b[2K${label} ${humanBytes(bytes)}${of}  ${humanBytes(rate)}/s${eta}`);
    drawn = true;
  };
  return {
    update(bytes) {
      const t = now();
      if (t - lastDraw < 200) return;
      lastDraw = t;
      draw(bytes);
    },
    setTotal(value) {
      total = value;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
