/**
 * Streaming watch: one JSON event per line (`{"type":"ADDED","object":{…}}`), as kube-apiserver sends
 * with `?watch=true`. Without resourceVersion (or with "0") the current objects come first as ADDED;
 * with a resourceVersion, every later change is replayed from history, or one ERROR event
 * (410 Expired) is sent when history no longer reaches back that far. For selector watches an object
 * that stops matching is sent as DELETED and one that starts matching as ADDED, like the apiserver.
 * The stream ends at `timeoutSeconds`, when the client goes, or when the simulator stops.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceRequest } from './routes/paths.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { badRequest, gone } from './status.ts';
import type { MemoryStore } from './store.ts';
import type { SimObject, StoreEvent } from './types.ts';

export function serveWatch(
  store: MemoryStore,
  req: IncomingMessage,
  res: ServerResponse,
  rr: ResourceRequest,
  query: URLSearchParams,
): void {
  const labels = parseLabelSelector(query.get('labelSelector') ?? undefined);
  const fields = parseFieldSelector(query.get('fieldSelector') ?? undefined);
  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw badRequest(`invalid resource version: ${rvParam}`);
  const apiVersion = rr.gr.group ? `${rr.gr.group}/${rr.gr.version}` : rr.gr.version;
  // For a named watch (/…/pods/<name>?watch=1) the name acts as a field selector.
  const inScope = (o: SimObject) =>
    (rr.namespace === undefined || o.metadata.namespace === rr.namespace) && (rr.name === undefined || o.metadata.name === rr.name);
  const matches = (o: SimObject | undefined) => o !== undefined && inScope(o) && labels(o.metadata.labels) && fields(o);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let open = true;
  const send = (type: string, object: unknown) => {
    if (!open) return;
    if (object && typeof object === 'object' && 'metadata' in object) (object as SimObject).apiVersion = apiVersion;
    res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const onEvent = (e: StoreEvent) => {
    if (e.resource.group !== rr.gr.group || e.resource.plural !== rr.gr.plural) return;
    const now = matches(e.object);
    const before = e.type === 'MODIFIED' ? matches(e.old) : now;
    if (now && before) send(e.type, e.object);
    else if (now && !before) send('ADDED', e.object);
    else if (!now && before) send('DELETED', e.object);
  };

  let backlog: StoreEvent[] = [];
  if (rvParam === '' || rvParam === '0') {
    for (const o of store.list(rr.gr, rr.namespace)) if (matches(o)) send('ADDED', o);
  } else {
    const since = store.eventsSince(Number(rvParam));
    if (since === undefined) {
      send('ERROR', gone(`too old resource version: ${rvParam} (${store.currentResourceVersion()})`).toStatus());
      open = false;
      res.end();
      return;
    }
    backlog = since.map((h) => h.event);
  }
  for (const e of backlog) onEvent(e);
  const unsubscribe = store.subscribe(onEvent);

  const timeout = Number(query.get('timeoutSeconds') ?? '0');
  const timer = timeout > 0 ? setTimeout(() => finish(), timeout * 1000) : undefined;
  const finish = () => {
    if (!open) return;
    open = false;
    unsubscribe();
    if (timer) clearTimeout(timer);
    res.end();
  };
  req.on('close', finish);
  res.on('close', finish);
}
