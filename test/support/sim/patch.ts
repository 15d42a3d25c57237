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

/** Rejects like kube-apiserver when a JSON patch cannot be applied. */
function unprocessable(detail: string): SimError {
  return new SimError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'FieldValueInvalid', message: detail }],
  });
}

export function applyJsonPatch<T>(doc: T, ops: unknown): T {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    return jsonpatch.applyPatch(structuredClone(doc), ops as Operation[], true, false).newDocument;
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
