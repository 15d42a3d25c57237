/**
 * Behaviour of S3 that s3rver lacks, installed on its store (s3rver has authenticated the
 * request and parsed the XML by the time the store is called).
 *
 * Integrity of PutObject and UploadPart, as real stores check it; a refused body is not stored:
 *  - Content-MD5: not 16 bytes of base64 -> InvalidDigest (400); another MD5 -> BadDigest (400);
 *  - x-amz-content-sha256 with a hex SHA-256 (a signed payload): another SHA-256 of the body ->
 *    XAmzContentSHA256Mismatch (400); UNSIGNED-PAYLOAD and aws-chunked bodies are not checked;
 *  - x-amz-checksum-crc32 (a flexible checksum): not 4 bytes of base64 -> InvalidRequest, another
 *    CRC32 -> BadDigest (400); only when flexible checksums are on (behaviour()); with them off
 *    the header is ignored, as Ceph RGW before Squid does.
 * UploadPart:
 *  - a part is written straight into the upload's data file at the offset it will have in the
 *    object, when that offset follows from its size: (n - 1) x the upload's part size, where the
 *    part size is that of the first part of at least 5 MiB seen. A part of another size, or the
 *    last part seen before any full one, goes to a file of its own (s3rver's way).
 * PutObject: written to a temporary file and renamed into place once checked (a refused PUT
 * leaves any earlier object of that key as it was).
 * CompleteMultipartUpload (s3rver accepts any part list and assembles the object by re-reading
 * and re-hashing every byte on its only thread, giving a plain-MD5 ETag; S3 copies nothing):
 *  - NoSuchUpload (404) for an unknown upload id;
 *  - the list is checked: part numbers ascending (InvalidPartOrder), each part uploaded with the
 *    listed ETag (InvalidPart), every part but the last at least 5 MiB (EntityTooSmall);
 *  - the object's ETag is md5(concatenated binary part MD5s)-<part count>;
 *  - when every listed part sits in the data file where the object needs it, the data file is
 *    cut to size and renamed into place: no byte is copied. Otherwise the parts are copied into
 *    a new file first. Either way a reader never sees a half-assembled object.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';

const require = createRequire(import.meta.url);
const MIN_PART_SIZE = 5 * 1024 * 1024;
const COPY_BUFFER = 8 * 1024 * 1024;

interface Part {
  number: number;
  etag: string;
}
/** Where a stored part's bytes are: a range of the upload's data file, or a file of its own. */
interface Placement {
  md5: string;
  size: number;
  offset?: number;
}

/** The part of s3rver's FilesystemStore used here. */
export interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: Record<string, unknown>, md5: string): Promise<void>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: string | number,
    content: NodeJS.ReadableStream,
  ): Promise<{ size: number; md5: string }>;
  putObjectMultipart(bucket: string, uploadId: string, parts: Part[]): Promise<{ size: number; md5: string }>;
  putObject(object: {
    bucket: string;
    key: string;
    content: NodeJS.ReadableStream | Buffer;
    metadata: Record<string, unknown>;
  }): Promise<{ size: number; md5: string }>;
}

/** What the store checks; read on every request, so a test can change it between requests. */
export interface IntegrityBehaviour {
  /** x-amz-checksum-crc32 checked (AWS, MinIO, RGW 19+) or ignored (RGW before Squid). */
  flexibleChecksums: boolean;
}

const CORRUPT = Symbol('hcpdr.corrupt');

/** Fault injection: this request's body reaches the store with its first byte changed. */
export function markCorrupt(request: IncomingMessage): void {
  Object.defineProperty(request, CORRUPT, { value: true });
}

type S3ErrorCtor = new (code: string, message: string, detail?: Record<string, unknown>) => Error;

export function behaveLikeS3(store: S3rverStore, behaviour: () => IntegrityBehaviour): void {
  const S3Error = require('@20minutes/s3rver/lib/models/error') as S3ErrorCtor;
  const uploadDirOf = (bucket: string, uploadId: string) => path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  /** Part size of each upload in progress, from its first part of at least 5 MiB. */
  const partSizes = new Map<string, number>();

  /** Writes the body to `target` (at `start` when given), digesting it; refuses it (file removed) when a check fails. */
  async function receive(
    content: NodeJS.ReadableStream,
    target: string,
    start: number | undefined,
  ): Promise<{ size: number; md5: string }> {
    // s3rver passes the request itself, or its aws-chunked decoder (no headers, no known length).
    const headers = (content as Partial<IncomingMessage>).headers ?? {};
    let corrupt = (content as { [CORRUPT]?: boolean })[CORRUPT] === true;
    const signed = /^[0-9a-f]{64}$/.test(String(headers['x-amz-content-sha256'] ?? '')) ? createHash('sha256') : undefined;
    const md5 = createHash('md5');
    let crc = 0;
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _e, cb) {
        if (corrupt && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[0] = (chunk[0] ?? 0) ^ 0xff;
          corrupt = false;
        }
        crc = crc32(chunk, crc);
        md5.update(chunk);
        signed?.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    try {
      await pipeline(content, tap, createWriteStream(target, start === undefined ? {} : { flags: 'r+', start }));
    } catch (err) {
      if (start === undefined) await rm(target, { force: true });
      throw err;
    }
    const digest = md5.digest();
    const refusal = integrityRefusal(headers, { md5: digest, sha256: signed?.digest('hex'), crc }, behaviour());
    if (refusal) {
      if (start === undefined) await rm(target, { force: true });
      // s3rver's table of statuses lacks XAmzContentSHA256Mismatch; every refusal here is a 400.
      throw Object.assign(new S3Error(refusal.code, refusal.message), { status: 400, expose: true });
    }
    return { size, md5: digest.toString('hex') };
  }

  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    const temporary = `${objectPath}.${process.hrtime.bigint()}.receiving`;
    const content = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    const { size, md5 } = await receive(content, temporary, undefined);
    await rename(temporary, objectPath);
    await store.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size, md5 };
  };

  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const headers = (content as Partial<IncomingMessage>).headers ?? {};
    const dir = uploadDirOf(bucket, uploadId);
    if (!existsSync(path.join(dir, 'key')))
      throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
    const n = Number(partNumber);
    const length = Number(headers['content-length'] ?? NaN);
    await Promise.all([`${n}`, `${n}.md5`, `${n}.json`].map((f) => rm(path.join(dir, f), { force: true })));
    if (!partSizes.has(uploadId) && length >= MIN_PART_SIZE) partSizes.set(uploadId, length);
    const partSize = partSizes.get(uploadId);
    const inPlace = partSize !== undefined ? length <= partSize : n === 1 && Number.isFinite(length);
    const offset = inPlace ? (n - 1) * (partSize ?? 0) : undefined;
    const target = path.join(dir, offset === undefined ? `${n}` : 'data');
    if (offset !== undefined) await (await open(target, 'a')).close();
    const { size, md5 } = await receive(content, target, offset);
    const placement: Placement = { md5, size, ...(offset === undefined ? {} : { offset }) };
    // s3rver's own <n>.md5 marks the part as stored (listings, pendingUploads); <n>.json says where it is.
    await writeFile(path.join(dir, `${n}.json`), JSON.stringify(placement));
    await writeFile(path.join(dir, `${n}.md5`), placement.md5);
    return { size, md5 };
  };

  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const dir = uploadDirOf(bucket, uploadId);
    if (!/^[\w-]+$/.test(uploadId) || !existsSync(path.join(dir, 'key'))) {
      throw new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        { UploadId: uploadId },
      );
    }
    if (parts.length === 0)
      throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    if (parts.some((part, i) => i > 0 && part.number <= (parts[i - 1]?.number ?? 0))) {
      throw new S3Error(
        'InvalidPartOrder',
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
      );
    }
    const placements: (Placement & { number: number })[] = [];
    for (const [i, part] of parts.entries()) {
      const placement = await readFile(path.join(dir, `${part.number}.json`), 'utf8').then(
        (t) => JSON.parse(t) as Placement,
        () => undefined,
      );
      if (placement === undefined || placement.md5 !== part.etag) {
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          { UploadId: uploadId, PartNumber: part.number, ETag: part.etag },
        );
      }
      if (i < parts.length - 1 && placement.size < MIN_PART_SIZE) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          ProposedSize: placement.size,
          MinSizeAllowed: MIN_PART_SIZE,
          PartNumber: part.number,
        });
      }
      placements.push({ ...placement, number: part.number });
    }
    const [key, metadata] = await Promise.all([
      readFile(path.join(dir, 'key'), 'utf8'),
      readFile(path.join(dir, 'metadata'), 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>),
    ]);
    const size = placements.reduce((sum, p) => sum + p.size, 0);
    let at = 0;
    const contiguous = placements.every((p) => {
      const ok = p.offset === at;
      at += p.size;
      return ok;
    });
    const assembled = path.join(dir, contiguous ? 'data' : 'assembled');
    if (contiguous) await truncate(assembled, size);
    else await copyParts(dir, placements, assembled);
    const objectPath = store.getResourcePath(bucket, key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    await rename(assembled, objectPath);
    const etag = `${createHash('md5')
      .update(Buffer.concat(placements.map((p) => Buffer.from(p.md5, 'hex'))))
      .digest('hex')}-${parts.length}`;
    await store.putMetadata(bucket, key, metadata, etag);
    await rm(dir, { recursive: true, force: true });
    partSizes.delete(uploadId);
    return { size, md5: etag };
  };
}

/**
 * The first check a received body fails, in S3's words; undefined when it passes. The server's
 * own encodings, not src/s3's: an oracle that shares the uploader's code agrees with its bugs.
 */
export function integrityRefusal(
  headers: Record<string, string | string[] | undefined>,
  got: { md5: Buffer; sha256: string | undefined; crc: number },
  behaviour: IntegrityBehaviour,
): { code: string; message: string } | undefined {
  const contentMd5 = headers['content-md5'];
  if (typeof contentMd5 === 'string') {
    const sent = Buffer.from(contentMd5, 'base64');
    if (sent.length !== 16 || sent.toString('base64') !== contentMd5)
      return { code: 'InvalidDigest', message: 'The Content-MD5 you specified was invalid.' };
    if (!sent.equals(got.md5)) return { code: 'BadDigest', message: 'The Content-MD5 you specified did not match what we received.' };
  }
  if (got.sha256 !== undefined && got.sha256 !== headers['x-amz-content-sha256']) {
    return { code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  const crcSent = headers['x-amz-checksum-crc32'];
  if (behaviour.flexibleChecksums && typeof crcSent === 'string') {
    const sent = Buffer.from(crcSent, 'base64');
    if (sent.length !== 4 || sent.toString('base64') !== crcSent)
      return { code: 'InvalidRequest', message: 'Value for x-amz-checksum-crc32 header is invalid.' };
    if (sent.readUInt32BE() !== got.crc >>> 0)
      return { code: 'BadDigest', message: 'The CRC32 you specified did not match the calculated checksum.' };
  }
  return undefined;
}

/** Copies each part, from its own file or its range of the data file, into `target` in order. */
async function copyParts(dir: string, placements: (Placement & { number: number })[], target: string): Promise<void> {
  const out = await open(target, 'w');
  const buffer = Buffer.allocUnsafe(COPY_BUFFER);
  const data: { handle?: FileHandle } = {};
  try {
    for (const p of placements) {
      const input =
        p.offset === undefined ? await open(path.join(dir, `${p.number}`), 'r') : (data.handle ??= await open(path.join(dir, 'data'), 'r'));
      try {
        for (let done = 0; done < p.size;) {
          const { bytesRead } = await input.read(buffer, 0, Math.min(buffer.length, p.size - done), (p.offset ?? 0) + done);
          if (bytesRead === 0) throw new Error(`part ${p.number} is shorter than recorded`);
          await out.write(buffer, 0, bytesRead);
          done += bytesRead;
        }
      } finally {
        if (p.offset === undefined) await input.close();
      }
    }
  } finally {
    await data.handle?.close();
    await out.close();
  }
}
