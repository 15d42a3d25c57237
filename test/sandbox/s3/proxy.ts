/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 endpoint (RGW), standing for the network between
 * hcp-dr and the store: it passes requests and answers through unchanged (the Host header too, so
 * SigV4 signatures hold) and, when told, damages one request the way a bad link or middlebox would:
 *  - corrupt: one byte of the request body flipped (length unchanged), as in transit;
 *  - cut: the connection destroyed after `afterBytes` bytes of the request body.
 * It records every request it forwarded (operation, part number, status, the integrity headers sent)
 * so tests can check which path an upload took and that nothing was retried into success.
 * Test support only: never part of the shipped binary.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type S3Op = 'UploadPart' | 'PutObject' | 'CreateMultipartUpload' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'other';

export interface ProxyFault {
  op: 'UploadPart' | 'PutObject';
  /** UploadPart only: damage only this part number (default: any). */
  partNumber?: number;
  mode: 'corrupt' | 'cut';
  /** corrupt: the body offset of the flipped byte (default 1000); cut: body bytes let through first (default 64 KiB). */
  afterBytes?: number;
  /** How many matching requests are damaged (default 1; Infinity: every retry too). */
  times?: number;
}

export interface ProxiedRequest {
  method: string;
  op: S3Op;
  partNumber?: number;
  status?: number;
  /** Headers that carry an integrity check of the body, as sent (values of x-amz-content-sha256 kept, others shortened). */
  integrity: { contentSha256?: string; contentMd5: boolean; checksumCrc32: boolean; checksumAlgorithm?: string };
  damaged?: ProxyFault['mode'];
}

export interface S3Proxy {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  setFault(fault: ProxyFault | undefined): void;
  readonly faultsTriggered: number;
  /** Requests forwarded since the last clear. */
  readonly requests: readonly ProxiedRequest[];
  clearRequests(): void;
  stop(): Promise<void>;
}

function opOf(method: string, url: URL): S3Op {
  const q = url.searchParams;
  if (method === 'PUT' && q.has('partNumber') && q.has('uploadId')) return 'UploadPart';
  if (method === 'PUT' && url.pathname.split('/').filter(Boolean).length >= 2 && !q.has('tagging') && !q.has('acl')) return 'PutObject';
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
  return 'other';
}

export async function startS3Proxy(upstream: string): Promise<S3Proxy> {
  const target = new URL(upstream);
  // A fresh upstream connection per request: a request damaged on purpose never spoils the next one.
  const agent = new http.Agent({ keepAlive: false });
  const sockets = new Set<Socket>();
  let fault: ProxyFault | undefined;
  let remaining = 0;
  let triggered = 0;
  let requests: ProxiedRequest[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const op = opOf(req.method ?? 'GET', url);
    const partNumber = url.searchParams.has('partNumber') ? Number(url.searchParams.get('partNumber')) : undefined;
    const h = req.headers;
    const record: ProxiedRequest = {
      method: req.method ?? 'GET',
      op,
      ...(partNumber !== undefined ? { partNumber } : {}),
      integrity: {
        ...(typeof h['x-amz-content-sha256'] === 'string' ? { contentSha256: h['x-amz-content-sha256'] } : {}),
        contentMd5: h['content-md5'] !== undefined,
        checksumCrc32: h['x-amz-checksum-crc32'] !== undefined,
        ...(typeof h['x-amz-sdk-checksum-algorithm'] === 'string' ? { checksumAlgorithm: h['x-amz-sdk-checksum-algorithm'] } : {}),
      },
    };
    requests.push(record);
    const hit =
      fault && remaining > 0 && fault.op === op && (fault.partNumber === undefined || fault.partNumber === partNumber) ? fault : undefined;
    if (hit) {
      remaining--;
      triggered++;
      record.damaged = hit.mode;
    }

    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
      (answer) => {
        record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.on('error', () => up.destroy());

    let offset = 0;
    let cut = false;
    const at = hit?.afterBytes ?? (hit?.mode === 'cut' ? 64 * 1024 : 1000);
    req.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (hit?.mode === 'cut' && offset + chunk.length > at) {
        cut = true;
        up.write(chunk.subarray(0, Math.max(0, at - offset)));
        // As a dropped link: neither side gets an answer; the client sees its socket closed.
        up.destroy();
        req.socket.destroy();
        offset += chunk.length;
        return;
      }
      if (hit?.mode === 'corrupt' && offset <= at && at < offset + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at - offset] = (copy[at - offset] as number) ^ 0x01;
        chunk = copy;
      }
      offset += chunk.length;
      if (!up.write(chunk)) {
        req.pause();
        up.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (!cut) up.end();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    setFault(f) {
      fault = f;
      remaining = f?.times ?? 1;
    },
    get faultsTriggered() {
      return triggered;
    },
    get requests() {
      return requests;
    },
    clearRequests() {
      requests = [];
    },
    async stop() {
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
