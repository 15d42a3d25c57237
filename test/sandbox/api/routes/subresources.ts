/**
 * `/status` (writes touch only .status) and `/scale` (an autoscaling/v1 Scale view over the replica
 * paths the type declares: .spec.replicas / .status.replicas / .spec.selector for built-ins, the CRD's
 * subresources.scale otherwise).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, readJsonObject, sendJson } from '../http-util.ts';
import { applyPatchBody } from '../patch.ts';
import type { ScaleSpec } from '../registry.ts';
import { badRequest, invalid, methodNotAllowed, notFound } from '../status.ts';
import { clone } from '../store.ts';
import type { SimObject } from '../types.ts';
import type { ResourceRequest } from './paths.ts';
import { apiVersionOf, commit, isDryRun, type RestContext } from './rest.ts';
import { requireResourceVersion } from './validate.ts';

function current(ctx: RestContext, rr: ResourceRequest): SimObject {
  const o = ctx.store.get(rr.gr, rr.namespace, rr.name ?? '');
  if (!o) throw notFound(rr.gr, rr.name ?? '');
  return o;
}

export async function handleStatus(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  rr: ResourceRequest,
  query: URLSearchParams,
): Promise<void> {
  const cur = current(ctx, rr);
  let incoming: SimObject;
  switch (req.method) {
    case 'GET':
      return sendJson(res, 200, cur);
    case 'PUT':
      incoming = (await readJsonObject(req)) as SimObject;
      requireResourceVersion(rr.info, ctx.crds.governs(apiVersionOf(rr), rr.info.kind), incoming);
      break;
    case 'PATCH':
      incoming = applyPatchBody(cur, req.headers['content-type'], await readBody(req));
      break;
    default:
      throw methodNotAllowed(req.method ?? '');
  }
  const next = clone(cur);
  if ('status' in incoming) next['status'] = incoming['status'];
  else delete next['status'];
  const rv = incoming.metadata?.resourceVersion;
  if (rv !== undefined) next.metadata.resourceVersion = rv;
  sendJson(res, 200, commit(ctx, rr, cur, next, isDryRun(query)));
}

function getPath(o: unknown, path: string): unknown {
  let cur = o;
  for (const seg of path.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const segs = path.replace(/^\./, '').split('.');
  let cur = o;
  for (const seg of segs.slice(0, -1)) {
    if (typeof cur[seg] !== 'object' || cur[seg] === null) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1] ?? ''] = value;
}

function selectorString(sel: unknown): string | undefined {
  if (typeof sel === 'string') return sel;
  if (!sel || typeof sel !== 'object') return undefined;
  const parts: string[] = [];
  const ml = (sel as { matchLabels?: Record<string, string> }).matchLabels ?? {};
  for (const [k, v] of Object.entries(ml)) parts.push(`${k}=${v}`);
  const exprs = (sel as { matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }).matchExpressions ?? [];
  for (const e of exprs) {
    const op = e.operator.toLowerCase();
    if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
    else parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
  }
  return parts.join(',');
}

export function toScale(o: SimObject, spec: ScaleSpec): SimObject {
  const status: Record<string, unknown> = { replicas: Number(getPath(o, spec.statusReplicasPath) ?? 0) };
  const sel = spec.labelSelectorPath ? selectorString(getPath(o, spec.labelSelectorPath)) : undefined;
  if (sel !== undefined) status['selector'] = sel;
  const metadata: SimObject['metadata'] = { name: o.metadata.name };
  for (const k of ['namespace', 'uid', 'resourceVersion', 'creationTimestamp'] as const) {
    if (o.metadata[k] !== undefined) metadata[k] = o.metadata[k];
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata,
    spec: { replicas: Number(getPath(o, spec.specReplicasPath) ?? 0) },
    status,
  };
}

export async function handleScale(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  rr: ResourceRequest,
  query: URLSearchParams,
): Promise<void> {
  const spec = rr.info.scale;
  if (!spec) throw methodNotAllowed(req.method ?? '');
  const cur = current(ctx, rr);
  const scale = toScale(cur, spec);
  let wanted: SimObject;
  switch (req.method) {
    case 'GET':
      return sendJson(res, 200, scale);
    case 'PUT':
      wanted = (await readJsonObject(req)) as SimObject;
      break;
    case 'PATCH':
      wanted = applyPatchBody(scale, req.headers['content-type'], await readBody(req));
      break;
    default:
      throw methodNotAllowed(req.method ?? '');
  }
  const replicas = (wanted['spec'] as { replicas?: unknown } | undefined)?.replicas;
  if (replicas === undefined) throw badRequest('Scale.spec.replicas is required');
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', cur.metadata.name, [
      { field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  const next = clone(cur);
  setPath(next, spec.specReplicasPath, replicas);
  const rv = wanted.metadata?.resourceVersion;
  if (rv !== undefined) next.metadata.resourceVersion = rv;
  const stored = commit(ctx, rr, cur, next, isDryRun(query));
  sendJson(res, 200, toScale(stored, spec));
}
