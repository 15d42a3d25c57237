/**
 * PATCH bodies by Content-Type, with kube-apiserver's error classes:
 * malformed bodies → 400, a JSON patch that cannot apply (failed `test`, missing path) → 422 Invalid,
 * unknown types (apply-patch+yaml included) → 415. Strategic merge patch is treated as a JSON merge
 * patch: enough for kubectl patch/scale on the shapes this project uses (no list merge keys).
 */
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { badRequest, SimError, unsupportedMediaType } from './status.ts';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge recursively, null removes a member, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Rejects like kube-apiserver when a JSON patch cannot be applied: 422 Invalid with empty details
 * (kube-apiserver 1.32 sends no causes; the detail is for the simulator's own logs and tests only).
 */
function unprocessable(detail: string): SimError {
  const e = new SimError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  e.cause = detail;
  return e;
}

/** The value at a JSON pointer, or undefined when a segment is missing. */
function at(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isPlainObject(cur)) cur = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    else return undefined;
  }
  return cur;
}

/**
 * kube-apiserver's JSON patch library (evanphx/json-patch v4) lets `replace` create a missing member
 * of an existing object, as `add` would (a missing array index or parent still fails).
 */
function asKubeApplies(doc: unknown, op: Operation): Operation {
  if (op.op !== 'replace' || typeof op.path !== 'string') return op;
  const cut = op.path.lastIndexOf('/');
  const parent = at(doc, op.path.slice(0, Math.max(cut, 0)));
  if (!isPlainObject(parent) || at(doc, op.path) !== undefined) return op;
  return { op: 'add', path: op.path, value: op.value };
}

export function applyJsonPatch<T>(doc: T, ops: unknown): T {
  if (!Array.isArray(ops))
    throw badRequest('error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  try {
    let cur = structuredClone(doc);
    for (const op of ops as Operation[]) cur = jsonpatch.applyPatch(cur, [asKubeApplies(cur, op)], true, true).newDocument;
    return cur;
  } catch (err) {
    const e = err as { name?: string; message?: string; operation?: { op?: string; path?: string } };
    const first = (e.message ?? String(err)).split('\n')[0] ?? '';
    const op = e.operation?.op ?? '?';
    const path = e.operation?.path ?? '?';
    if (e.name === 'TEST_OPERATION_FAILED') throw unprocessable(`testing value ${path} failed: test failed`);
    if (e.name?.startsWith('OPERATION_PATH')) {
      throw unprocessable(`${op} operation does not apply: doc is missing path: "${path}": missing value`);
    }
    throw unprocessable(`${first} (${op} ${path})`);
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding patch: ${(err as Error).message}`);
  }
}

/** Custom resources have no strategic merge patch: kube answers 415 (kubectl patch needs --type merge|json). */
export function noStrategicMerge(): SimError {
  return new SimError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  );
}

/** The media type without parameters, lower-cased. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Applies a PATCH body of the given Content-Type to `doc`; returns the new document. */
export function applyPatchBody<T>(doc: T, contentType: string | undefined, body: string): T {
  const type = mediaType(contentType);
  switch (type) {
    case MERGE_PATCH:
    case STRATEGIC_MERGE_PATCH: {
      const p = parseJson(body);
      if (!isPlainObject(p)) throw badRequest('error decoding patch: a merge patch must be a JSON object');
      return mergePatch(doc, p) as T;
    }
    case JSON_PATCH:
      return applyJsonPatch(doc, parseJson(body));
    default:
      throw unsupportedMediaType(contentType ?? '');
  }
}
