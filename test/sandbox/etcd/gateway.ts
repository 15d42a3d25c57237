/**
 * Talks to etcd's v3 JSON gateway over mTLS (fetch cannot send client certificates, so this
 * uses https.request with a keep-alive Agent). Used for fast health polls and bulk seeding
 * (txns of 128 puts, etcd's default --max-txn-ops).
 */
import https from 'node:https';

export interface GatewayTls {
  ca: string;
  cert: string;
  key: string;
}

export class Gateway {
  readonly agent: https.Agent;

  constructor(tls: GatewayTls) {
    this.agent = new https.Agent({ ...tls, keepAlive: true, maxSockets: 16 });
  }

  /** One HTTP request; resolves to status and body text. */
  request(url: string, method: 'GET' | 'POST', body?: unknown, timeoutMs = 5000): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: timeoutMs,
          headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${url}`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** True when GET /health answers {"health":"true"} within timeoutMs. */
  async healthy(clientUrl: string, timeoutMs = 1000): Promise<boolean> {
    try {
      const r = await this.request(`${clientUrl}/health`, 'GET', undefined, timeoutMs);
      return r.status === 200 && (JSON.parse(r.text) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }

  async put(clientUrl: string, key: string, value: string | Buffer): Promise<void> {
    // etcd answers a proposal dropped during a leader change only after its own ~5 s timeout.
    const r = await this.request(`${clientUrl}/v3/kv/put`, 'POST', { key: b64(key), value: b64(value) }, 15_000);
    if (r.status !== 200) throw new Error(`put ${key}: HTTP ${r.status} ${r.text}`);
  }

  async get(clientUrl: string, key: string): Promise<string | undefined> {
    const r = await this.request(`${clientUrl}/v3/kv/range`, 'POST', { key: b64(key) });
    if (r.status !== 200) throw new Error(`get ${key}: HTTP ${r.status} ${r.text}`);
    const kvs = (JSON.parse(r.text) as { kvs?: { value?: string }[] }).kvs;
    const v = kvs?.[0]?.value;
    return kvs?.length ? Buffer.from(v ?? '', 'base64').toString('utf8') : undefined;
  }

  /** Writes `pairs` as txns of up to 128 puts, `parallel` txns in flight. */
  async putMany(clientUrl: string, pairs: Iterable<[string, string | Buffer]>, parallel = 8): Promise<void> {
    const batches: [string, string | Buffer][][] = [];
    let cur: [string, string | Buffer][] = [];
    for (const p of pairs) {
      cur.push(p);
      if (cur.length === 128) {
        batches.push(cur);
        cur = [];
      }
    }
    if (cur.length) batches.push(cur);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const success = batch.map(([k, v]) => ({ request_put: { key: b64(k), value: b64(v) } }));
        const r = await this.request(`${clientUrl}/v3/kv/txn`, 'POST', { success }, 30_000);
        if (r.status !== 200) throw new Error(`txn: HTTP ${r.status} ${r.text}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, batches.length) }, worker));
  }

  close(): void {
    this.agent.destroy();
  }
}

function b64(s: string | Buffer): string {
  return Buffer.from(s).toString('base64');
}
