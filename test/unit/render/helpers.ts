/**
 * Shared values and helpers of the render tests: fixed inputs (URL, key) so expected files
 * are stable, the locations of the shared HyperShift fixtures and CRDs, and an in-memory
 * ObjectStore for the --from-backup logic (the real S3 path is in test/integration).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../../../src/core/errors.ts';
import { systemClock, type ObjectStore, type PutOptions, type StoredObject } from '../../../src/core/ports.ts';
import { runCli } from '../../../src/cli/index.ts';
import type { CliDeps, KubeSession, S3Target } from '../../../src/cli/deps.ts';
import { exitCodeOf, formatError } from '../../../src/cli/exit.ts';
import { createStderrReporter } from '../../../src/cli/reporter.ts';
import { buildRegistry, crdsFromTexts } from '../../../src/core/render/check.ts';
import type { CrdRegistry } from '../../../src/core/validate/index.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED = path.resolve(REPO, '../shared/hypershift');
export const RENDER_FIXTURES = path.join(SHARED, 'render-fixtures');
export const CRD_DIR = path.join(SHARED, 'crds');
export const OWN_FIXTURES = path.join(REPO, 'test/fixtures/render');

/** A URL shaped like a real SigV4 pre-signed one (fixed, so outputs are stable). */
export const FIXED_URL =
  'https://hcp-dr-test.s3.us-east-1.amazonaws.com/hcp/clusters/example/20261121T160800Z-3f9a1c/snapshot.db' +
  '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261121%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20261121T160800Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
  '&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
/** 32 bytes: "original-key-of-the-backed-up-cl". */
export const FIXED_KEY_BASE64 = Buffer.from('original-key-of-the-backed-up-cl').toString('base64');

export function sharedFixtures(): string[] {
  return existsSync(RENDER_FIXTURES)
    ? readdirSync(RENDER_FIXTURES)
        .filter((f) => f.endsWith('.yaml'))
        .sort()
    : [];
}

let registry: CrdRegistry | undefined;
/** The HyperShift CRDs from ../shared, compiled once per worker; undefined when absent. */
export function sharedRegistry(): CrdRegistry | undefined {
  if (!existsSync(CRD_DIR)) return undefined;
  registry ??= buildRegistry(
    crdsFromTexts(
      readdirSync(CRD_DIR)
        .sort()
        .map((f) => ({ text: readFileSync(path.join(CRD_DIR, f), 'utf8'), source: f })),
    ),
  );
  return registry;
}

/** An in-memory bucket: enough ObjectStore for backup.json, key and snapshot reads. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  /** User metadata put() stored with a key (PutOptions.metadata), answered by head(). */
  readonly metadata = new Map<string, Record<string, string>>();
  readonly presigned: { key: string; expires: number }[] = [];
  readonly bucket: string;
  constructor(bucket: string) {
    this.bucket = bucket;
  }
  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
  async put(key: string, body: Buffer | string | Readable, options: PutOptions = {}): Promise<void> {
    if (body instanceof Readable) throw new Error('streams not supported');
    this.objects.set(key, Buffer.from(body));
    this.keepMetadata(key, options);
  }
  protected keepMetadata(key: string, options: PutOptions): void {
    if (options.metadata) this.metadata.set(key, { ...options.metadata });
    else this.metadata.delete(key);
  }
  async get(key: string): Promise<Readable> {
    const body = this.objects.get(key);
    if (!body) throw new NotFoundError(`failed to read ${this.url(key)}: not found`);
    return Readable.from([body]);
  }
  async head(key: string): Promise<StoredObject | undefined> {
    const body = this.objects.get(key);
    const metadata = this.metadata.get(key);
    return body ? { key, size: body.length, lastModified: undefined, ...(metadata ? { metadata } : {}) } : undefined;
  }
  async list(prefix: string): Promise<StoredObject[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, b]) => ({ key, size: b.length, lastModified: undefined }));
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.metadata.delete(key);
  }
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    this.presigned.push({ key, expires: expiresInSeconds });
    return `https://${this.bucket}.s3.us-east-1.amazonaws.com/${key}?X-Amz-Expires=${expiresInSeconds}&X-Amz-Signature=deadbeef`;
  }
}

// ---- In-process CLI runs with a CliDeps built here: memory buckets, no cluster. ----

export interface RunOptions {
  stdin?: string;
  buckets?: MemoryStore[];
  env?: Record<string, string | undefined>;
  interactive?: boolean;
  connectKube?: () => Promise<KubeSession>;
}
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Targets passed to openObjectStore, in order. */
  opened: S3Target[];
}

export async function runHcpDr(argv: string[], options: RunOptions = {}): Promise<Run> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const opened: S3Target[] = [];
  const deps: CliDeps = {
    host: 'kubectl',
    reporter: createStderrReporter(stderr, { verbose: false }),
    stdout,
    stderr,
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    interactive: options.interactive ?? false,
    stderrIsTTY: false,
    signal: new AbortController().signal,
    clock: systemClock,
    verbose: false,
    env: options.env ?? {},
    connectKube:
      options.connectKube ??
      (async () => {
        throw new Error('no cluster in this test');
      }),
    openObjectStore: async (target) => {
      opened.push(target);
      const m = /^s3:\/\/([^/]+)\/?(.*?)\/*$/.exec(target.url);
      const store = options.buckets?.find((b) => b.bucket === m?.[1]);
      if (!store) throw new NotFoundError(`bucket ${m?.[1]} not found`);
      return { store, prefix: m?.[2] ?? '' };
    },
  };
  let code: number;
  try {
    code = await runCli(argv, deps);
  } catch (e) {
    stderr.write(formatError(e, { verbose: false, host: 'kubectl' }));
    code = exitCodeOf(e);
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), opened };
}
