/**
 * The handler of `resume` (loaded on demand). The S3 flags override how the record says to reach
 * the store (a move's --via, a restore's backup): the record holds no credentials, so the usual
 * AWS chain signs, and --endpoint, --ca-bundle, --region and --path-style replace what it holds.
 */
import path from 'node:path';
import type { CliDeps } from '../../deps.ts';
import { kubeTargetOf, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { keyringOf } from '../../codec-flags.ts';
import { moveWorld, type MoveWorldOptions } from '../../move-world.ts';
import { runResume } from './handlers.ts';
import { renderResume } from './resume-view.ts';

export type ResumeArgs = GlobalArgs & S3Args & { 'hosted-cluster': string; 'decrypt-with'?: string };

export async function resume(args: ResumeArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const target = kubeTargetOf(args);
  const s3 = s3Overrides(args);
  // An encrypted backup a restore or move must read again (a re-created restore, a move's destination restore).
  const keyring = await keyringOf(args);
  const session = await deps.connectKube(target);
  const result = await runResume(session.namespace, args['hosted-cluster'], {
    api: session.api,
    exec: session.exec,
    clock: deps.clock,
    reporter: deps.reporter,
    signal: deps.signal,
    world: moveWorld(deps, { ...(target.requestTimeoutMs ? { requestTimeoutMs: target.requestTimeoutMs } : {}), s3 }),
    resumeCommand: resumeCommandLine(args, session.namespace, s3),
    ...(keyring ? { keyring } : {}),
  });
  await printData(deps.stdout, format, result, () => renderResume(result, deps.verbose));
  return 0;
}

/** Only the flags given: each replaces the record's value; the rest stays as recorded. */
function s3Overrides(args: ResumeArgs): NonNullable<MoveWorldOptions['s3']> {
  const t = s3TargetOf('s3://placeholder', { ...args, 'request-timeout': '0' });
  return {
    ...(t.endpoint !== undefined ? { endpoint: t.endpoint } : {}),
    ...(t.caBundle !== undefined ? { caBundle: t.caBundle } : {}),
    ...(t.region !== undefined ? { region: t.region } : {}),
    ...(t.pathStyle !== undefined ? { pathStyle: t.pathStyle } : {}),
  };
}

/** This resume again, runnable as printed: the cluster flags and the S3 overrides given. */
function resumeCommandLine(args: ResumeArgs, namespace: string, s3: NonNullable<MoveWorldOptions['s3']>): string {
  return [
    `{cmd} resume ${args['hosted-cluster']} -n ${namespace}`,
    args.context ? `--context ${args.context}` : '',
    args.kubeconfig ? `--kubeconfig ${path.resolve(args.kubeconfig)}` : '',
    s3.endpoint ? `--endpoint ${s3.endpoint}` : '',
    s3.caBundle ? `--ca-bundle ${s3.caBundle}` : '',
    s3.region ? `--region ${s3.region}` : '',
    s3.pathStyle ? '--path-style' : '',
    args['decrypt-with'] ? `--decrypt-with ${args['decrypt-with']}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
