/**
 * The backup's encoding pipeline in one process, without pod, network or S3 server: what
 * --compress zstd and --encrypt-to cost in CPU against a plain backup, for iterating on the codec
 * (bench/backup-encoded.ts measures the real thing and takes many minutes).
 *
 * The path is the one stream-upload.ts builds: 64 KiB chunks (as exec frames arrive) into the
 * 4 MiB PassThrough, DigestStream (SHA-256 and etcd's trailer), encodeStream, then a sink that
 * reads its body as the multipart uploader does (`for await`, copied into 8 MiB part buffers, a
 * CRC32 per part). For each variant: wall rate of plain bytes, CPU seconds per GiB of the whole
 * process (every thread: zstd runs in the threadpool) and of its main thread alone (from
 * /proc/self/task: CPU time, unlike wall time, is little skewed by other load). In the real backup
 * the main thread also runs the WebSocket and the uploads, so work added to it is work in series.
 * Also the growth of peak RSS over the process's own (the corpus). Run it with the plugin's flag,
 * `node --max-semi-space-size=1 --heap-growing-percent=100` (NODE_FLAGS in plugin/sea-loader.ts),
 * for memory figures like the plugin's.
 * Not run by bench/run.ts: it prints, stores nothing.
 * Usage: node bench/backup-encoded-pipeline.ts [MiB=256] [rounds=3] [variants=plain,zstd,age,zstd+age]
 * FRAME=<bytes> sets the size of the pieces fed in (64 KiB by default); exec frames do not fall on
 * the age STREAM's 64 KiB chunk edges, FRAME=65535 is closer to them.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { DigestStream } from '../src/core/snapshot/digest-stream.ts';
import { encodeStream, type Codec } from '../src/core/crypto/codec.ts';
import { kubeObject } from './kube-objects.ts';
import { statCpuSeconds } from './lib.ts';

const MiB = 1024 * 1024;
const mb = Number(process.argv[2] ?? 256);
const rounds = Number(process.argv[3] ?? 3);
const only = (process.argv[4] ?? 'plain,zstd,age,zstd+age').split(',');
const FRAME = Number(process.env.FRAME ?? 64 * 1024);
const PART = 8 * MiB;

/** Kubernetes-like values back to back, as a bbolt file holds them (compresses about as the snapshot does). */
function corpus(bytes: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  while (size < bytes) {
    const [key, value] = kubeObject();
    const b = Buffer.concat([Buffer.from(key), Buffer.from(value)]);
    parts.push(b);
    size += b.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/** The multipart uploader's reading: every byte copied into a part buffer, a CRC32 per full part. */
async function drain(body: Readable): Promise<number> {
  const buf = Buffer.allocUnsafeSlow(PART);
  let fill = 0;
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    for (let offset = 0; offset < chunk.length;) {
      const n = Math.min(PART - fill, chunk.length - offset);
      buf.set(chunk.subarray(offset, offset + n), fill);
      fill += n;
      offset += n;
      if (fill === PART) {
        crc32(buf);
        fill = 0;
      }
    }
    total += chunk.length;
  }
  crc32(buf.subarray(0, fill));
  return total;
}

/** CPU seconds of the main thread (Linux). */
const mainThreadCpu = (): number => statCpuSeconds(`/proc/self/task/${process.pid}/stat`);

/** Peak RSS since the last call (Linux: clear_refs 5 resets VmHWM). */
function peakRss(): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  writeFileSync('/proc/self/clear_refs', '5');
  return Number(hwm?.[1] ?? 0) * 1024;
}

async function once(
  data: Buffer,
  codec: Codec | undefined,
): Promise<{ wall: number; cpu: number; main: number; rss: number; stored: number }> {
  const source = new PassThrough({ highWaterMark: 4 * MiB });
  const digest = new DigestStream();
  source.pipe(digest);
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu();
  peakRss();
  const t0 = performance.now();
  const body = codec ? (await encodeStream(digest, codec)).body : digest;
  const drained = drain(body);
  // The exec side: frames written with back-pressure, as src/kube/exec.ts writes them.
  for (let at = 0; at < data.length; at += FRAME) {
    if (!source.write(data.subarray(at, at + FRAME))) await new Promise((r) => source.once('drain', r));
  }
  source.end();
  const stored = await drained;
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  digest.result();
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, main: mainThreadCpu() - main0, rss: peakRss(), stored };
}

/** Generating the corpus takes longer than the measuring: kept in the temp dir for the next run. */
function cachedCorpus(bytes: number): Buffer {
  const file = path.join(os.tmpdir(), `hcp-dr-bench-corpus-${bytes}.bin`);
  if (existsSync(file)) return readFileSync(file);
  const data = corpus(bytes);
  writeFileSync(file, data);
  return data;
}

const data = cachedCorpus(mb * MiB);
const recipient = await identityToRecipient(await generateX25519Identity());
const codecs: Record<string, Codec | undefined> = {
  plain: undefined,
  zstd: { compress: 'zstd' },
  age: { recipients: [recipient] },
  'zstd+age': { compress: 'zstd', recipients: [recipient] },
};
const gib = data.length / (1024 * MiB);
const results: Record<string, { rate: number[]; cpu: number[]; main: number[]; rss: number; stored: number }> = {};
const base = peakRss();
for (let r = 0; r < rounds; r++) {
  for (const v of only) {
    const m = await once(data, codecs[v]);
    const slot = (results[v] ??= { rate: [], cpu: [], main: [], rss: 0, stored: 0 });
    slot.rate.push(data.length / MiB / m.wall);
    slot.cpu.push(m.cpu / gib);
    slot.main.push(m.main / gib);
    slot.stored = m.stored;
    slot.rss = Math.max(slot.rss, m.rss - base);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
console.log(`${mb} MiB, ${rounds} rounds, medians (node ${process.version}, rss ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB)`);
for (const [v, s] of Object.entries(results)) {
  console.log(
    `${v.padEnd(9)} ${med(s.rate).toFixed(0).padStart(5)} MiB/s  cpu ${med(s.cpu).toFixed(2)} s/GiB  of which main thread ${med(s.main).toFixed(2)} s/GiB  peak RSS +${(s.rss / MiB).toFixed(0)} MiB  stored ${(s.stored / MiB).toFixed(0)} MiB`,
  );
}
