/**
 * CRUD on resources: list/get/create/update/patch/delete/deletecollection with kube semantics.
 * Subresources (status, scale, exec, log) are delegated. `?dryRun=All` runs every check and answers
 * the would-be result without storing it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, readBody, readJsonObject, sendJson } from '../http-util.ts';
import { applyPatchBody, mediaType, noStrategicMerge, STRATEGIC_MERGE_PATCH } from '../patch.ts';
import type { CrdAdmission } from '../crd-admission.ts';
import type { PodLogs } from '../logs.ts';
import { jobFromProtobuf, readJsonOrProtobuf, selfSubjectAccessReviewFromProtobuf, tokenRequestFromProtobuf } from '../protobuf.ts';
import { tokenRequestAnswer } from '../serviceaccounts.ts';
import type { Rbac } from '../rbac.ts';
import type { Registry } from '../registry.ts';
import { parseFieldSelector, parseLabelSelector } from '../selectors.ts';
import { conflict, methodNotAllowed, notFound, SimError, badRequest } from '../status.ts';
import { clone, kubeTimestamp, type MemoryStore } from '../store.ts';
import type { SimObject } from '../types.ts';
import type { ResourceRequest } from './paths.ts';
import { handleScale, handleStatus } from './subresources.ts';
import {
  badNameReason,
  checkNamespaceWritable,
  checkNoNewFinalizers,
  reconcileWithUrl,
  requireResourceVersion,
  validateName,
} from './validate.ts';

export interface RestContext {
  store: MemoryStore;
  /** Schema and CEL admission of custom resources (crd-admission.ts). */
  crds: CrdAdmission;
  registry: Registry;
  rbac: Rbac;
  /** Container logs served by pods/log. */
  logs: PodLogs;
  watch(req: IncomingMessage, res: ServerResponse, rr: ResourceRequest, query: URLSearchParams): void;
  /** pods/exec reached without a WebSocket upgrade. */
  execHttp(req: IncomingMessage, res: ServerResponse, rr: ResourceRequest, query: URLSearchParams): void;
}

function verbFor(method: string, rr: ResourceRequest, query: URLSearchParams): string {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  if (rr.subresource === 'exec' || (rr.subresource === 'token' && method === 'POST')) return 'create';
  if (method === 'GET' && watch && rr.subresource === undefined) return 'watch';
  if (rr.name === undefined) {
    if (method === 'GET') return watch ? 'watch' : 'list';
    if (method === 'POST') return 'create';
    if (method === 'DELETE') return 'deletecollection';
  } else {
    if (method === 'GET') return 'get';
    if (method === 'PUT') return 'update';
    if (method === 'PATCH') return 'patch';
    if (method === 'DELETE') return 'delete';
  }
  throw methodNotAllowed(method);
}

export function isDryRun(query: URLSearchParams): boolean {
  return query.getAll('dryRun').includes('All');
}

/** Drops status from a write to the main resource when the type has a status subresource. */
export function keepStatus(rr: ResourceRequest, next: SimObject, prev: SimObject | undefined): void {
  if (!rr.info.status) return;
  if (prev && 'status' in prev) next['status'] = prev['status'];
  else delete next['status'];
}

export async function handleResource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  rr: ResourceRequest,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  const verb = verbFor(method, rr, query);
  if (rr.info.group === 'authorization.k8s.io' && rr.info.plural === 'selfsubjectaccessreviews' && verb === 'create') {
    // Every authenticated user may ask about itself (kube's system:basic-user).
    return sendJson(res, 201, ctx.rbac.review(bearerToken(req), await readJsonOrProtobuf(req, selfSubjectAccessReviewFromProtobuf)));
  }
  const access = { token: bearerToken(req), verb, info: rr.info } as Parameters<Rbac['check']>[0];
  if (rr.subresource) access.subresource = rr.subresource;
  if (rr.namespace !== undefined) access.namespace = rr.namespace;
  if (rr.name !== undefined) access.name = rr.name;
  ctx.rbac.check(access);

  if (rr.subresource === 'exec') return ctx.execHttp(req, res, rr, query);
  if (rr.subresource === 'log') return sendLog(ctx, res, rr, query);
  if (rr.subresource === 'status') return handleStatus(ctx, req, res, rr, query);
  if (rr.subresource === 'scale') return handleScale(ctx, req, res, rr, query);
  if (rr.subresource === 'finalize') throw methodNotAllowed(method);
  if (rr.subresource === 'token') {
    if (verb !== 'create') throw methodNotAllowed(method);
    const body = await readJsonOrProtobuf(req, tokenRequestFromProtobuf);
    return sendJson(res, 201, tokenRequestAnswer(ctx.rbac.tokens, rr.namespace ?? '', rr.name ?? '', body));
  }
  if (rr.info.verbs && !rr.info.verbs.includes(verb)) throw methodNotAllowed(method);

  switch (verb) {
    case 'watch':
      return ctx.watch(req, res, rr, query);
    case 'list':
      return sendJson(res, 200, listBody(ctx, rr, query));
    case 'get': {
      const o = ctx.store.get(rr.gr, rr.namespace, rr.name ?? '');
      if (!o) throw notFound(rr.gr, rr.name ?? '');
      return sendJson(res, 200, o);
    }
    case 'create': {
      const cronJob = (name: string) => ctx.store.get({ group: 'batch', version: 'v1', plural: 'cronjobs' }, rr.namespace, name);
      const body =
        rr.info.group === 'batch' && rr.info.plural === 'jobs'
          ? await readJsonOrProtobuf(req, (b) => jobFromProtobuf(b, cronJob))
          : await readJsonObject(req);
      return sendJson(res, 201, create(ctx, rr, body as SimObject, isDryRun(query)));
    }
    case 'update':
      return sendJson(res, 200, update(ctx, rr, (await readJsonObject(req)) as SimObject, isDryRun(query)));
    case 'patch': {
      const body = await readBody(req);
      return sendJson(res, 200, patch(ctx, rr, req.headers['content-type'], body, isDryRun(query)));
    }
    case 'delete':
      return sendJson(res, 200, remove(ctx, rr, rr.name ?? '', await deleteOptions(req), isDryRun(query)));
    case 'deletecollection': {
      const opts = await deleteOptions(req);
      const items = listItems(ctx, rr, query).map((o) => remove(ctx, rr, o.metadata.name, opts, isDryRun(query), o.metadata.namespace));
      return sendJson(res, 200, {
        kind: `${rr.info.kind}List`,
        apiVersion: apiVersionOf(rr),
        metadata: { resourceVersion: ctx.store.currentResourceVersion() },
        items,
      });
    }
    default:
      throw methodNotAllowed(method);
  }
}

export function apiVersionOf(rr: ResourceRequest): string {
  return rr.gr.group ? `${rr.gr.group}/${rr.gr.version}` : rr.gr.version;
}

export function listItems(ctx: RestContext, rr: ResourceRequest, query: URLSearchParams): SimObject[] {
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined);
  parseLabelSelector(query.get('labelSelector') ?? undefined); // validate first: a bad selector is a 400 even on an empty list
  return ctx.store.list(rr.gr, rr.namespace, query.get('labelSelector') ?? undefined).filter(fields);
}

function listBody(ctx: RestContext, rr: ResourceRequest, query: URLSearchParams): unknown {
  const items = listItems(ctx, rr, query);
  return {
    kind: `${rr.info.kind}List`,
    apiVersion: apiVersionOf(rr),
    metadata: { resourceVersion: ctx.store.currentResourceVersion() },
    items,
  };
}

export function create(ctx: RestContext, rr: ResourceRequest, body: SimObject, dryRun: boolean): SimObject {
  const o = clone(body);
  reconcileWithUrl(rr.info, o, rr.namespace, undefined);
  // A custom resource's bad name is reported with its schema errors (crd-admission.ts), as kube does.
  if (!ctx.crds.governs(apiVersionOf(rr), rr.info.kind) || !o.metadata.name) validateName(rr.info, o);
  checkNamespaceWritable(ctx.store, rr.info, o.metadata.namespace, o.metadata.name);
  keepStatus(rr, o, undefined);
  if (rr.info.group === '' && rr.info.plural === 'pods') o['status'] = { phase: 'Pending' };
  delete o.metadata.resourceVersion;
  const admitted = ctx.crds.admit(o, apiVersionOf(rr), rr.info.kind, undefined, badNameReason(rr.info, o.metadata.name));
  if (dryRun) {
    if (o.metadata.name && ctx.store.get(rr.gr, o.metadata.namespace, o.metadata.name)) {
      throw new SimError(
        409,
        'AlreadyExists',
        `${rr.gr.group ? `${rr.gr.plural}.${rr.gr.group}` : rr.gr.plural} "${o.metadata.name}" already exists`,
        { name: o.metadata.name, group: rr.gr.group, kind: rr.gr.plural },
      );
    }
    admitted.apiVersion = apiVersionOf(rr);
    admitted.kind = rr.info.kind;
    admitted.metadata.creationTimestamp = kubeTimestamp();
    return admitted;
  }
  return ctx.store.create(rr.gr, admitted);
}

/** Shared tail of PUT and PATCH: RV precondition, custom-resource admission, then store (or not, on dry run). */
export function commit(ctx: RestContext, rr: ResourceRequest, current: SimObject, next: SimObject, dryRun: boolean): SimObject {
  const rv = next.metadata.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) throw conflict(rr.gr, current.metadata.name);
  checkNoNewFinalizers(rr.info, current, next);
  const admitted = ctx.crds.admit(next, apiVersionOf(rr), rr.info.kind, current);
  if (dryRun) return admitted;
  return ctx.store.update(rr.gr, admitted);
}

function update(ctx: RestContext, rr: ResourceRequest, body: SimObject, dryRun: boolean): SimObject {
  const o = clone(body);
  reconcileWithUrl(rr.info, o, rr.namespace, rr.name);
  const current = ctx.store.get(rr.gr, rr.namespace, rr.name ?? '');
  if (!current) throw notFound(rr.gr, rr.name ?? '');
  requireResourceVersion(rr.info, ctx.crds.governs(apiVersionOf(rr), rr.info.kind), o);
  keepStatus(rr, o, current);
  return commit(ctx, rr, current, o, dryRun);
}

function patch(ctx: RestContext, rr: ResourceRequest, contentType: string | undefined, body: string, dryRun: boolean): SimObject {
  const current = ctx.store.get(rr.gr, rr.namespace, rr.name ?? '');
  if (!current) throw notFound(rr.gr, rr.name ?? '');
  if (mediaType(contentType) === STRATEGIC_MERGE_PATCH && ctx.crds.governs(apiVersionOf(rr), rr.info.kind)) throw noStrategicMerge();
  const next = applyPatchBody(current, contentType, body);
  if (typeof next !== 'object' || next === null || typeof next.metadata !== 'object')
    throw badRequest('the patch removed the object metadata');
  reconcileWithUrl(rr.info, next, rr.namespace, rr.name);
  keepStatus(rr, next, current);
  return commit(ctx, rr, current, next, dryRun);
}

interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
}

async function deleteOptions(req: IncomingMessage): Promise<DeleteOptions> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as DeleteOptions;
  } catch {
    throw badRequest('invalid DeleteOptions body');
  }
}

function remove(
  ctx: RestContext,
  rr: ResourceRequest,
  name: string,
  opts: DeleteOptions,
  dryRun: boolean,
  namespace = rr.namespace,
): SimObject {
  const current = ctx.store.get(rr.gr, namespace, name);
  if (!current) throw notFound(rr.gr, name);
  const pre = opts.preconditions ?? {};
  if (pre.uid && pre.uid !== current.metadata.uid) {
    throw new SimError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${rr.gr.group ? `${rr.gr.plural}.${rr.gr.group}` : rr.gr.plural} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      { name, group: rr.gr.group, kind: rr.gr.plural },
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) throw conflict(rr.gr, name);
  if (dryRun) return current;
  return ctx.store.delete(rr.gr, namespace, name);
}

/** pods/log: the container's log from the simulator's PodLogs (see logs.ts for the rules). */
function sendLog(ctx: RestContext, res: ServerResponse, rr: ResourceRequest, query: URLSearchParams): void {
  const pod = ctx.store.get(rr.gr, rr.namespace, rr.name ?? '');
  if (!pod) throw notFound(rr.gr, rr.name ?? '');
  const text = ctx.logs.read(pod, query);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
