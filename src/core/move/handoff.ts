/**
 * The DNS hand-off of a move (§2.7 step 8) and the wait for the destination's name (§2.8):
 * external DNS keeps a record while a Route publishes it and owns it through a TXT record, so the
 * destination's external DNS cannot take the API name until the source's has let it go.
 */
import { NotFoundError, RemoteError } from '../errors.ts';
import { Resources } from '../model.ts';
import type { Clock, KubeApi, NameResolver, Reporter } from '../ports.ts';
import { waitUntil } from '../controlplane/wait.ts';

export interface HandOffContext {
  clock: Clock;
  reporter: Reporter;
  signal?: AbortSignal | undefined;
  resolver: NameResolver;
  host: string;
  /** What the name resolved to on the source before the hand-off. */
  sourceAddresses: string[];
  timeoutMs: number;
  /** The command that continues the move, for hints. */
  resumeCommand: string;
}

/** external-dns' TXT registry names (--txt-suffix=-external-dns, both formats), for messages. */
export function ownershipRecords(host: string): string[] {
  const [first, ...rest] = host.split('.');
  const tail = rest.length ? `.${rest.join('.')}` : '';
  return [`${first}-external-dns${tail}`, `a-${first}-external-dns${tail}`];
}

/** Deletes every Route of the control-plane namespace; returns their names. Idempotent. */
export async function deleteRoutes(api: KubeApi, controlPlaneNamespace: string): Promise<string[]> {
  const routes = await api.list(Resources.route, controlPlaneNamespace);
  for (const r of routes) {
    await api.delete(Resources.route, controlPlaneNamespace, r.metadata.name ?? '').catch((err: unknown) => {
      if (!(err instanceof NotFoundError)) throw err;
    });
  }
  return routes.map((r) => r.metadata.name ?? '');
}

/** Waits until the API name no longer resolves to the source; on timeout names the record still there. */
export async function waitForRelease(ctx: HandOffContext): Promise<void> {
  let last: string[] = [];
  try {
    await waitUntil(ctx, `${ctx.host} to stop resolving to the source (${ctx.sourceAddresses.join(', ') || 'none'})`, async () => {
      last = await ctx.resolver.resolve4(ctx.host);
      return !last.some((a) => ctx.sourceAddresses.includes(a));
    });
  } catch (err) {
    if (!(err instanceof RemoteError) || ctx.signal?.aborted) throw err;
    throw new RemoteError(
      `DNS hand-off timed out after ${Math.round(ctx.timeoutMs / 1000)}s: A record ${ctx.host} still resolves to ${last.join(', ')} through ${ctx.resolver.describe()} (owned by the source's external DNS through TXT ${ownershipRecords(ctx.host)[0]})`,
      {
        hint: `the source stays frozen and its routes are deleted; check the source's external-dns (kubectl logs -n hypershift deploy/external-dns), then continue with: ${ctx.resumeCommand}`,
        cause: err,
      },
    );
  }
}

/** Waits until the API name resolves, and only to addresses other than the source's. */
export async function waitForDestination(ctx: HandOffContext): Promise<string[]> {
  let last: string[] = [];
  await waitUntil(ctx, `${ctx.host} to resolve to the destination`, async () => {
    last = await ctx.resolver.resolve4(ctx.host);
    return last.length > 0 && !last.some((a) => ctx.sourceAddresses.includes(a));
  });
  return last;
}
