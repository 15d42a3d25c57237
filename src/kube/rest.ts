/**
 * KubeApi over plain HTTP(S) with the kubeconfig's agent and credentials. Objects stay raw
 * JSON (no client-side models that drop unknown fields or turn timestamps into Dates).
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeObject } from '../core/model.ts';
import type { JsonPatchOp, KubeApi, ListOptions, ResourceType } from '../core/ports.ts';
import { connectionError, httpError, interruptedRequest, RequestTimeout } from './errors.ts';
import { collectionPath, describeObject, objectPath } from './paths.ts';

/** Connection material for one request: agent, headers (Authorization) and TLS options. */
export interface RequestAuth {
  agent?: http.Agent;
  headers: Record<string, string>;
}

export interface RestOptions {
  server: string;
  contextName: string;
  /** What describeTarget() answers instead of the context (the in-cluster service account has none). */
  targetDescription?: string;
  requestTimeoutMs?: number;
  /** Called per request so rotating credentials (exec plugins) stay fresh. */
  auth(): Promise<RequestAuth>;
  /**
   * The process's interrupt (SIGINT/SIGTERM). Requests in flight when it fires are cut at once
   * and fail with an InterruptedError. Requests started after it are the rollback's: they run,
   * each bounded by the request timeout or AFTER_INTERRUPT_TIMEOUT_MS, so that a server that
   * stopped answering cannot hold the process.
   */
  signal?: AbortSignal;
}

/** `work`, or the error of `onAbort` as soon as `signal` aborts (the work itself is left to finish or fail alone). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => unknown): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** The bound of each rollback request after a signal when --request-timeout is not set. */
export const AFTER_INTERRUPT_TIMEOUT_MS = 30_000;

interface Answer {
  statusCode: number;
  body: string;
}

export class RestKubeApi implements KubeApi {
  readonly #options: RestOptions;

  constructor(options: RestOptions) {
    this.#options = options;
  }

  describeTarget(): string {
    return this.#options.targetDescription ?? `context "${this.#options.contextName}" (${this.#options.server})`;
  }

  async get(type: ResourceType, namespace: string, name: string): Promise<KubeObject | undefined> {
    const what = `get ${describeObject(type, namespace, name)}`;
    const answer = await this.#send(what, 'GET', objectPath(type, namespace, name));
    if (answer.statusCode === 404) return undefined;
    return this.#parse(what, answer);
  }

  async list(type: ResourceType, namespace: string | undefined, options: ListOptions = {}): Promise<KubeObject[]> {
    const query = options.labelSelector ? `?labelSelector=${encodeURIComponent(options.labelSelector)}` : '';
    const what = `list ${describeObject(type, namespace)}`;
    const list = this.#parse(what, await this.#send(what, 'GET', collectionPath(type, namespace) + query)) as unknown as {
      items?: KubeObject[];
    };
    const kind = type.kind;
    const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
    // List items omit apiVersion/kind; fill them so objects can be written out as manifests.
    return (list.items ?? []).map((item) => ({ apiVersion, kind, ...item }));
  }

  async create(type: ResourceType, namespace: string, body: KubeObject): Promise<KubeObject> {
    const what = `create ${describeObject(type, namespace, body.metadata.name)}`;
    return this.#parse(what, await this.#send(what, 'POST', collectionPath(type, namespace), body, 'application/json'));
  }

  async mergePatch(type: ResourceType, namespace: string, name: string, patch: unknown, subresource?: string): Promise<KubeObject> {
    const what = `patch ${describeObject(type, namespace, name)}${subresource ? ` (${subresource})` : ''}`;
    const path = objectPath(type, namespace, name, subresource);
    return this.#parse(what, await this.#send(what, 'PATCH', path, patch, 'application/merge-patch+json'));
  }

  async jsonPatch(type: ResourceType, namespace: string, name: string, ops: JsonPatchOp[]): Promise<KubeObject> {
    const what = `patch ${describeObject(type, namespace, name)}`;
    const path = objectPath(type, namespace, name);
    return this.#parse(what, await this.#send(what, 'PATCH', path, ops, 'application/json-patch+json'));
  }

  async delete(type: ResourceType, namespace: string, name: string): Promise<void> {
    const what = `delete ${describeObject(type, namespace, name)}`;
    const answer = await this.#send(what, 'DELETE', objectPath(type, namespace, name));
    if (answer.statusCode === 404) return;
    this.#parse(what, answer);
  }

  async readLog(
    namespace: string,
    pod: string,
    container: string,
    options: { previous?: boolean; limitBytes?: number } = {},
  ): Promise<string | undefined> {
    const what = `read the log of container ${container} of pod "${pod}" in namespace "${namespace}"`;
    const query = new URLSearchParams({
      container,
      limitBytes: String(options.limitBytes ?? 64 * 1024),
      ...(options.previous ? { previous: 'true' } : {}),
    });
    const answer = await this.#send(
      what,
      'GET',
      `${objectPath({ group: '', version: 'v1', plural: 'pods', kind: 'Pod' }, namespace, pod, 'log')}?${query}`,
    );
    if (answer.statusCode === 404 || answer.statusCode === 400) return undefined;
    if (answer.statusCode < 200 || answer.statusCode >= 300) this.#parse(what, answer);
    return answer.body;
  }

  #parse(what: string, answer: Answer): KubeObject {
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      throw httpError(what, answer.statusCode, answer.body, this.#options.server);
    }
    return JSON.parse(answer.body) as KubeObject;
  }

  async #send(what: string, method: string, path: string, body?: unknown, contentType?: string): Promise<Answer> {
    const { server, signal } = this.#options;
    const interruptible = signal !== undefined && !signal.aborted;
    const timeoutMs =
      interruptible || !signal ? this.#options.requestTimeoutMs : (this.#options.requestTimeoutMs ?? AFTER_INTERRUPT_TIMEOUT_MS);
    // A credential plugin that hangs must not hold an interrupted run either.
    const auth = await untilAborted(this.#options.auth(), interruptible ? signal : undefined, () =>
      interruptedRequest(what, signal?.reason),
    );
    const url = new URL(server.replace(/\/+$/, '') + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: 'application/json', ...auth.headers };
    if (payload !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const transport = url.protocol === 'https:' ? https : http;
    // A kept-alive socket the server closed while idle fails the next request before any answer
    // ("socket hang up", EPIPE). A request sent on it was never processed: a GET or a merge patch
    // (which sets fixed values: applying it twice is applying it once) is sent once more on a new
    // socket, as Go's net/http does for idempotent requests. Creates, deletes and JSON patches are
    // not: the workflows decide (core/connection-retry.ts) where a repeat is harmless.
    const attempt = (retryStale: boolean): Promise<Answer> =>
      this.#attempt(what, method, url, transport, headers, auth.agent, payload, timeoutMs, interruptible, retryStale);
    return attempt(method === 'GET' || (method === 'PATCH' && contentType === 'application/merge-patch+json'));
  }

  #attempt(
    what: string,
    method: string,
    url: URL,
    transport: typeof http | typeof https,
    headers: Record<string, string>,
    agent: http.Agent | undefined,
    payload: string | undefined,
    timeoutMs: number | undefined,
    interruptible: boolean,
    retryStale: boolean,
  ): Promise<Answer> {
    const { server, signal } = this.#options;
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: { answer: Answer } | { error: unknown }) => {
        if (settled) return;
        settled = true;
        if (interruptible) signal!.removeEventListener('abort', onAbort);
        if ('answer' in outcome) resolve(outcome.answer);
        else reject(outcome.error);
      };
      let answered = false;
      const req = transport.request(url, { method, headers, agent }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => settle({ answer: { statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') } }));
        res.on('error', (err) => settle({ error: connectionError(what, server, err) }));
      });
      const onAbort = () => {
        settle({ error: interruptedRequest(what, signal?.reason) });
        req.destroy();
      };
      if (interruptible) signal!.addEventListener('abort', onAbort, { once: true });
      // An idle socket for this long ends the request; a response that keeps arriving does not.
      if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new RequestTimeout(timeoutMs)));
      req.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        const stale = retryStale && req.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE');
        if (stale && !settled) {
          settled = true;
          if (interruptible) signal!.removeEventListener('abort', onAbort);
          resolve(this.#attempt(what, method, url, transport, headers, agent, payload, timeoutMs, interruptible, false));
          return;
        }
        settle({ error: connectionError(what, server, err) });
      });
      req.end(payload);
    });
  }
}
