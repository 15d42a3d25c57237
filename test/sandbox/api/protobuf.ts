/**
 * Just enough of Kubernetes' protobuf encoding to read the bodies kubectl sends as protobuf to the
 * simulator: SelfSubjectAccessReview (`kubectl auth can-i`), TokenRequest (`kubectl create token`)
 * and the Job of `kubectl create job --from=cronjob/<name>`. A body is the magic "k8s\0" then a runtime.Unknown {1 typeMeta, 2 raw, 3 contentEncoding,
 * 4 contentType} whose `raw` is the object; field numbers are those of k8s.io/api's generated.proto.
 * Answers stay JSON (kubectl's Accept lists application/json after protobuf).
 */
import type { IncomingMessage } from 'node:http';
import { readJsonObject } from './http-util.ts';
import { badRequest, SimError } from './status.ts';

type Fields = Map<number, Array<Buffer | number>>;

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length; i++) {
    const byte = buf[i] ?? 0;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw badRequest('truncated protobuf varint');
}

/** The fields of one message: length-delimited ones as bytes, varints as numbers (other wire types skipped). */
function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let at = 0;
  while (at < buf.length) {
    const [key, next] = varint(buf, at);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let value: Buffer | number;
    if (wire === 0) [value, at] = varint(buf, next);
    else if (wire === 2) {
      const [length, start] = varint(buf, next);
      value = buf.subarray(start, start + length);
      at = start + length;
    } else if (wire === 1) {
      at = next + 8;
      continue;
    } else if (wire === 5) {
      at = next + 4;
      continue;
    } else throw badRequest(`unsupported protobuf wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const bytes = (f: Fields, n: number): Buffer => {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
};
const text = (f: Fields, n: number): string | undefined => (f.has(n) ? bytes(f, n).toString('utf8') : undefined);

/** The object inside a "k8s\0"-prefixed runtime.Unknown envelope. */
function unwrap(body: Buffer): Fields {
  if (body.subarray(0, 4).toString('latin1') !== 'k8s\0') throw badRequest('the protobuf body lacks the k8s magic prefix');
  return fields(bytes(fields(body.subarray(4)), 2));
}

/** SelfSubjectAccessReview {2 spec {1 resourceAttributes {1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource, 7 name}, 2 nonResourceAttributes {1 path, 2 verb}}}. */
export function selfSubjectAccessReviewFromProtobuf(body: Buffer): Record<string, unknown> {
  const spec = fields(bytes(unwrap(body), 2));
  const result: Record<string, unknown> = {};
  if (spec.has(1)) {
    const ra = fields(bytes(spec, 1));
    const names = ['', 'namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
    const attrs: Record<string, string> = {};
    names.forEach((name, i) => {
      const v = i > 0 ? text(ra, i) : undefined;
      if (v !== undefined && v !== '') attrs[name] = v;
    });
    result['resourceAttributes'] = attrs;
  }
  if (spec.has(2)) {
    const nra = fields(bytes(spec, 2));
    result['nonResourceAttributes'] = { path: text(nra, 1) ?? '', verb: text(nra, 2) ?? '' };
  }
  return { spec: result };
}

/** TokenRequest {2 spec {1 audiences (repeated), 4 expirationSeconds}}. */
export function tokenRequestFromProtobuf(body: Buffer): Record<string, unknown> {
  const spec = fields(bytes(unwrap(body), 2));
  const audiences = (spec.get(1) ?? []).map((a) => (Buffer.isBuffer(a) ? a.toString('utf8') : String(a)));
  const seconds = spec.get(4)?.[0];
  return { spec: { ...(audiences.length ? { audiences } : {}), ...(typeof seconds === 'number' ? { expirationSeconds: seconds } : {}) } };
}

/** The request's body as JSON, or decoded from protobuf with `decode` when kubectl sent protobuf. */
export async function readJsonOrProtobuf(
  req: IncomingMessage,
  decode: (body: Buffer) => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  if (!(req.headers['content-type'] ?? '').includes('protobuf')) return readJsonObject(req);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return decode(Buffer.concat(chunks));
}

/** A map<string,string> field: repeated entries {1 key, 2 value}. */
function stringMap(f: Fields, n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of f.get(n) ?? []) {
    if (!Buffer.isBuffer(entry)) continue;
    const e = fields(entry);
    out[text(e, 1) ?? ''] = text(e, 2) ?? '';
  }
  return out;
}

/**
 * The Job `kubectl create job <name> --from=cronjob/<cj>` sends (protobuf): its ObjectMeta {1 name,
 * 3 namespace, 11 labels, 12 annotations, 13 ownerReferences {1 kind, 3 name, 4 uid, 5 apiVersion,
 * 6 controller, 7 blockOwnerDeletion}} is decoded; its spec is by construction the CronJob's
 * jobTemplate.spec, read from `cronJob(name)`. Other protobuf Jobs are refused (415).
 */
export function jobFromProtobuf(body: Buffer, cronJob: (name: string) => Record<string, unknown> | undefined): Record<string, unknown> {
  const meta = fields(bytes(unwrap(body), 1));
  const owners = (meta.get(13) ?? [])
    .filter((b): b is Buffer => Buffer.isBuffer(b))
    .map((b) => {
      const o = fields(b);
      return {
        apiVersion: text(o, 5) ?? '',
        kind: text(o, 1) ?? '',
        name: text(o, 3) ?? '',
        uid: text(o, 4) ?? '',
        ...(o.has(6) ? { controller: o.get(6)?.[0] === 1 } : {}),
        ...(o.has(7) ? { blockOwnerDeletion: o.get(7)?.[0] === 1 } : {}),
      };
    });
  const owner = owners.find((o) => o.kind === 'CronJob');
  const template = owner ? (cronJob(owner.name)?.['spec'] as { jobTemplate?: { spec?: unknown } } | undefined)?.jobTemplate : undefined;
  if (!template) {
    throw new SimError(
      415,
      'UnsupportedMediaType',
      'the API simulator decodes a protobuf Job only as kubectl create job --from=cronjob/<name> sends it; send JSON',
    );
  }
  const metadata: Record<string, unknown> = { name: text(meta, 1) ?? '', ownerReferences: owners };
  const ns = text(meta, 3);
  if (ns) metadata['namespace'] = ns;
  const labels = stringMap(meta, 11);
  const annotations = stringMap(meta, 12);
  if (Object.keys(labels).length) metadata['labels'] = labels;
  if (Object.keys(annotations).length) metadata['annotations'] = annotations;
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: JSON.parse(JSON.stringify(template.spec ?? {})) as unknown };
}
