/**
 * Runs a batch of etcdctl calls in one etcd pod with one exec (probe-script.ts), and records on the
 * pod why it could not, so the caller skips it. A call whose record is missing from the script's
 * output (no /bin/sh in the image, an interleaved record) is run again as its own exec.
 */
import { ForbiddenError } from '../errors.ts';
import { Etcd } from '../model.ts';
import type { ExecResult, PodExec } from '../ports.ts';
import type { EtcdctlTls } from './etcdctl.ts';
import {
  CA_CANDIDATES,
  caPathOf,
  parseProbeOutput,
  probeArgv,
  probeMarker,
  probeScript,
  type ProbeAnswer,
  type ProbeCall,
} from './probe-script.ts';
import type { PodFacts } from './verdict.ts';

export interface ProbeResult {
  /** The client CA the calls used. */
  caPath: string;
  /** Each call's answer by name; absent when the pod stopped answering exec meanwhile. */
  answers: Map<string, ProbeAnswer>;
}

export interface PodProberContext {
  exec: PodExec;
  namespace: string;
  signal?: AbortSignal;
}

export class PodProber {
  readonly #ctx: PodProberContext;

  constructor(ctx: PodProberContext) {
    this.#ctx = ctx;
  }

  /**
   * The calls in `pod`, with `tls` or with the CA the pod has (found first). Undefined when the pod
   * cannot run them (exec failed, no client CA): pod.execError then says why.
   */
  async probe(pod: PodFacts, calls: readonly ProbeCall[], tls?: EtcdctlTls): Promise<ProbeResult | undefined> {
    if (pod.execError) return undefined;
    const marker = probeMarker();
    // Messages name the etcdctl calls, not the script's text.
    const name = (c: ProbeCall) => (c.command ? (c.label ?? c.command[0] ?? '') : `etcdctl ${c.args.slice(0, 2).join(' ')}`);
    const description = `${calls.map(name).join(', ')} (one script)`;
    const ran = await this.#exec(pod, ['/bin/sh', '-c', probeScript(marker, calls, tls)], description);
    if (!ran) return undefined;
    const answers = parseProbeOutput(ran.stdout, marker);
    const found = tls?.caPath ?? caPathOf(answers);
    const caPath = found === undefined ? await this.#detectCa(pod) : found;
    if (!caPath) {
      pod.execError ??= `no etcd client CA at ${Etcd.caPath} or ${Etcd.legacyCaPath}`;
      return undefined;
    }
    await Promise.all(
      calls
        .filter((c) => !answers.has(c.name))
        .map(async (c) => {
          const alone = await this.#exec(pod, probeArgv(c, caPath));
          if (alone) answers.set(c.name, { exitCode: alone.exitCode, stdout: alone.stdout });
        }),
    );
    return { caPath, answers };
  }

  /** Without the script's answer: `test -f` of each candidate, in order. */
  async #detectCa(pod: PodFacts): Promise<string | undefined> {
    for (const caPath of CA_CANDIDATES) {
      const result = await this.#exec(pod, ['test', '-f', caPath]);
      if (result === undefined) return undefined;
      if (result.exitCode === 0) return caPath;
    }
    return undefined;
  }

  async #exec(pod: PodFacts, command: string[], description?: string): Promise<ExecResult | undefined> {
    if (pod.execError) return undefined;
    try {
      return await this.#ctx.exec.exec({
        namespace: this.#ctx.namespace,
        pod: pod.name,
        container: Etcd.container,
        command,
        ...(description ? { description } : {}),
        ...(this.#ctx.signal ? { signal: this.#ctx.signal } : {}),
      });
    } catch (err) {
      // A 403 is a missing permission (pods/exec), the same for every member: not a member's health.
      if (this.#ctx.signal?.aborted || err instanceof ForbiddenError) throw err;
      pod.execError = err instanceof Error ? err.message.replace(/^failed to /, 'cannot ') : String(err);
      return undefined;
    }
  }
}
