/**
 * Every S3 request under the process's interrupt, at the one place all of them pass: the SDK's
 * request handler. A request in flight when SIGINT/SIGTERM aborts `interrupt` is cut at once
 * and fails with the interrupt's reason (an InterruptedError: exit 130, never retried by the SDK);
 * requests started after it are the rollback's (aborting a multipart upload, deleting an
 * incomplete backup) and run, each bounded by `afterInterruptMs`. No SDK import: the handler is
 * patched through the shape of its `handle` method.
 */

/** The part of the SDK's NodeHttpHandler this module relies on. */
export interface RequestHandlerLike {
  handle(request: unknown, options?: { abortSignal?: unknown; requestTimeout?: number }): Promise<unknown>;
}

/** The bound of each S3 request a rollback makes after a signal. */
export const AFTER_INTERRUPT_TIMEOUT_MS = 30_000;

export function interruptible<H extends RequestHandlerLike>(
  handler: H,
  interrupt: AbortSignal | undefined,
  afterInterruptMs = AFTER_INTERRUPT_TIMEOUT_MS,
): H {
  if (!interrupt) return handler;
  const handle = handler.handle.bind(handler);
  handler.handle = async (request, options = {}) => {
    const own = options.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
    if (interrupt.aborted) {
      const bound = AbortSignal.timeout(afterInterruptMs);
      return handle(request, { ...options, abortSignal: own ? AbortSignal.any([own, bound]) : bound });
    }
    const abortSignal = own ? AbortSignal.any([own, interrupt]) : interrupt;
    try {
      return await handle(request, { ...options, abortSignal });
    } catch (err) {
      // The caller's own abort keeps its error; the interrupt's is the interruption itself.
      if (interrupt.aborted && !own?.aborted && interrupt.reason instanceof Error) throw interrupt.reason;
      throw err;
    }
  };
  return handler;
}
