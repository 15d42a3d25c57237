/**
 * Grows a test etcd to a size: values of about 1 MiB of incompressible text (etcd refuses requests
 * over 1.5 MiB), a few puts in flight. On a busy machine the test members (500 ms election
 * timeout) change leaders now and then and drop a proposal: such a put is sent again, up to 5 times.
 */
import { randomBytes } from 'node:crypto';
import type { EtcdCluster } from './cluster.ts';

const MiB = 1024 * 1024;

export interface FillOptions {
  /** Key prefix (default /bench/); keys are numbered in order. */
  prefix?: string;
  /** Puts in flight (default 4). */
  inFlight?: number;
}

export async function fillEtcd(etcd: EtcdCluster, megabytes: number, options: FillOptions = {}): Promise<void> {
  const prefix = options.prefix ?? '/bench/';
  let next = 0;
  const put = async (key: string, value: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await etcd.put(key, value);
      } catch (err) {
        if (attempt === 5) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  const worker = async () => {
    while (next < megabytes) {
      const i = next++;
      await put(
        `${prefix}${String(i).padStart(6, '0')}`,
        randomBytes(MiB)
          .toString('base64')
          .slice(0, MiB - 1024),
      );
    }
  };
  await Promise.all(Array.from({ length: options.inFlight ?? 4 }, worker));
}
