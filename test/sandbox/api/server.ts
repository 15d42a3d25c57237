/**
 * Entry point of the Kubernetes API simulator (test support; never shipped). Serves discovery, CRUD,
 * watch and pods/exec (WebSocket) on 127.0.0.1 for client-node and the real kubectl. See types.ts for
 * the contract and the sibling files for each concern.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import { CrdAdmission } from './crd-admission.ts';
import { CRDS, loadCrdDir } from './crds.ts';
import { discover } from './discovery.ts';
import { PlainHttpError, resolveExecTarget } from './exec-target.ts';
import { pickExecProtocol, runExecSession } from './exec-ws.ts';
import { bearerToken, sendError, sendJson } from './http-util.ts';
import { writeKubeconfigFile } from './kubeconfig.ts';
import { PodLogs } from './logs.ts';
import { Rbac, type DenyOptions } from './rbac.ts';
import { Registry } from './registry.ts';
import type { TokenOptions } from './serviceaccounts.ts';
import { selfSignedCertificate } from './selfsigned.ts';
import { accessOfPath, notServed, parseResourcePath } from './routes/paths.ts';
import { handleResource, type RestContext } from './routes/rest.ts';
import { badRequest, toSimError } from './status.ts';
import { MemoryStore } from './store.ts';
import type { ApiSimulator, ExecHandler, KubeconfigOptions, SimulatorOptions } from './types.ts';
import { serveWatch } from './watch.ts';

export { SimError } from './status.ts';
export type { DenyOptions } from './rbac.ts';
export type { TokenOptions } from './serviceaccounts.ts';

export interface RequestRecord {
  method: string;
  /** Path and query, as received. */
  url: string;
  contentType?: string;
  /** The bearer token the request carried, if any (tests of token rotation compare it). */
  bearerToken?: string;
}

/** What startApiSimulator returns: the ApiSimulator contract plus test conveniences. */
export interface RunningSimulator extends ApiSimulator {
  readonly store: MemoryStore;
  readonly registry: Registry;
  /** Container logs served by pods/log; simulated kubelets write them. */
  readonly logs: PodLogs;
  /** https://127.0.0.1:<port2>: the same API over TLS with a self-signed certificate (see KubeconfigOptions.tls). */
  readonly httpsUrl: string;
  /** Every HTTP request and upgrade received, in order (discovery included). */
  readonly requests: RequestRecord[];
  /** As ApiSimulator.denyToken; options narrow the denial to some verbs/resources or name the user. */
  denyToken(token: string, options?: DenyOptions): void;
  /**
   * A token for the ServiceAccount `namespace/name` (which must exist), authorized by RBAC over the
   * Roles/ClusterRoles and bindings in the store (rbac.ts). Same as a TokenRequest.
   */
  tokenFor(namespace: string, name: string, options?: TokenOptions): string;
  /** From now on `token` gets 401 Unauthorized (a rotated-out service-account token). */
  revokeToken(token: string): void;
  /** PEM of the https listener's self-signed certificate: the ca.crt of an in-cluster environment. */
  readonly caCert: string;
}

const DEFAULT_MINOR = 32;

function writeRawResponse(socket: Duplex, code: number, body: string, contentType: string): void {
  const head = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + body);
}

export async function startApiSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const minor = options.kubernetesMinor ?? DEFAULT_MINOR;
  const registry = new Registry();
  const store = new MemoryStore(registry);
  const rbac = new Rbac(store);
  const certificate = selfSignedCertificate();
  const requests: RequestRecord[] = [];
  let execHandler: ExecHandler | undefined;
  const logs = new PodLogs();

  store.subscribe((e) => {
    if (e.type === 'DELETED' && e.resource.group === '' && e.resource.plural === 'pods')
      logs.forget(e.object.metadata.namespace ?? '', e.object.metadata.name);
  });
  store.subscribe((e) => {
    if (e.resource.group !== CRDS.group || e.resource.plural !== CRDS.plural) return;
    if (e.type === 'DELETED') registry.unregisterCrd(e.object);
    else registry.registerCrd(e.object);
  });
  for (const name of ['default', 'kube-system']) {
    store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  if (options.crdDir) await loadCrdDir(store, options.crdDir);

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => pickExecProtocol(offered) ?? false,
  });

  const ctx: RestContext = {
    store,
    crds: new CrdAdmission(store),
    registry,
    rbac,
    logs,
    watch: (req, res, rr, query) => serveWatch(store, req, res, rr, query),
    execHttp: (_req, _res, rr, query) => {
      resolveExecTarget(store, rr, query);
      throw badRequest('Upgrade request required');
    },
  };

  const record = (req: IncomingMessage) => {
    const r: RequestRecord = { method: req.method ?? '', url: req.url ?? '' };
    if (req.headers['content-type']) r.contentType = req.headers['content-type'];
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) r.bearerToken = bearer;
    requests.push(r);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    record(req);
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      rbac.authenticate(bearerToken(req)); // a bad service-account token is 401 everywhere, discovery included
      if (['/healthz', '/readyz', '/livez'].includes(url.pathname)) {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        return res.end('ok');
      }
      const d = discover(url.pathname, registry, minor, `127.0.0.1:${port}`);
      if (d) return sendJson(res, d.code, d.body);
      let rr: ReturnType<typeof parseResourcePath>;
      try {
        rr = parseResourcePath(url.pathname, registry);
      } catch (err) {
        // Authorization comes first, as in kube's filter chain: 403 for a forbidden user, then 404.
        const a = accessOfPath(url.pathname, req.method ?? 'GET');
        if (a) rbac.check({ token: bearerToken(req), info: { group: a.group, plural: a.plural }, ...a });
        throw err;
      }
      if (!rr) throw notServed();
      await handleResource(ctx, req, res, rr, url.searchParams);
    })().catch((err: unknown) => {
      if (err instanceof PlainHttpError) {
        res.writeHead(err.code, { 'Content-Type': 'text/plain' });
        res.end(err.message);
      } else sendError(res, err);
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    record(req);
    socket.on('error', () => {});
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rr = parseResourcePath(url.pathname, registry);
      if (!rr || rr.subresource !== 'exec') throw badRequest('the API simulator accepts connection upgrades only for pods/exec');
      const access: Parameters<Rbac['check']>[0] = {
        token: bearerToken(req),
        verb: req.method === 'GET' ? 'get' : 'create',
        info: rr.info,
        subresource: 'exec',
        name: rr.name ?? '',
      };
      if (rr.namespace !== undefined) access.namespace = rr.namespace;
      // A WebSocket upgrade is a GET, authorized as `get` on pods/exec (SPDY's POST as `create`); from
      // Kubernetes 1.35 a GET needs `create` as well (AuthorizePodWebsocketUpgradeCreatePermission).
      rbac.check(access);
      if (access.verb === 'get' && minor >= 35) rbac.check({ ...access, verb: 'create' });
      const target = resolveExecTarget(store, rr, url.searchParams);
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        throw badRequest(
          `unable to upgrade: the API simulator serves exec over WebSocket only (v5.channel.k8s.io, v4.channel.k8s.io), not ${req.headers.upgrade ?? 'this protocol'}`,
        );
      }
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',');
      if (!pickExecProtocol(offered))
        throw badRequest(
          `unable to upgrade: none of the offered subprotocols [${offered.join(',')}] is supported; use v5.channel.k8s.io or v4.channel.k8s.io`,
        );
      wss.handleUpgrade(req, socket, head, (ws) => {
        void runExecSession(ws, target, execHandler);
      });
    } catch (err) {
      if (err instanceof PlainHttpError) writeRawResponse(socket, err.code, err.message, 'text/plain');
      else {
        const e = toSimError(err);
        writeRawResponse(socket, e.code, JSON.stringify(e.toStatus()), 'application/json');
      }
    }
  };

  const sockets = new Set<Socket>();
  const servers: Server[] = [createServer(onRequest), createHttpsServer(certificate, onRequest)];
  const ports: number[] = [];
  for (const server of servers) {
    server.on('upgrade', onUpgrade);
    // https servers report the raw TCP socket on 'connection' too, so both kinds are tracked here.
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    ports.push(typeof address === 'object' && address ? address.port : 0);
  }
  const port = ports[0] ?? 0;
  const url = `http://127.0.0.1:${port}`;
  const httpsUrl = `https://127.0.0.1:${ports[1] ?? 0}`;

  let stopped = false;
  return {
    url,
    httpsUrl,
    store,
    registry,
    logs,
    requests,
    setExecHandler(handler: ExecHandler) {
      execHandler = handler;
    },
    denyToken(token: string, opts?: DenyOptions) {
      rbac.deny(token, opts);
    },
    tokenFor(namespace: string, name: string, opts?: TokenOptions) {
      return rbac.tokens.issue(namespace, name, opts).token;
    },
    revokeToken(token: string) {
      rbac.tokens.revoke(token);
    },
    caCert: certificate.cert,
    writeKubeconfig(path: string, o: KubeconfigOptions) {
      return writeKubeconfigFile(path, o.tls ? httpsUrl : url, o);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const ws of wss.clients) ws.terminate();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}
