/** The flags of `schedule` that go beyond the backup's own: encoding passed on, and the drills (--drill-every). */
import { UsageError } from '../../../core/errors.ts';
import { parseCronSchedule } from '../../../core/schedule/cron.ts';
import type { ScheduleDrill } from '../../../core/schedule/types.ts';
import { codecOf } from '../../codec-flags.ts';
import type { ScheduleArgs } from './schedule-run.ts';

export interface CodecFlags {
  /** --compress and --encrypt-to as backup takes them (recipients are public keys: fine in a CronJob's args). */
  flags: string[];
  encrypted: boolean;
}

/** --compress, --encrypt-to and the recipients of --encrypt-to-file (read here), checked as backup checks them. */
export async function codecFlagsOf(args: ScheduleArgs): Promise<CodecFlags> {
  const codec = await codecOf(args);
  const flags = [
    ...(codec?.compress ? ['--compress', codec.compress] : []),
    ...(codec?.recipients ?? []).flatMap((r) => ['--encrypt-to', r]),
  ];
  return { flags, encrypted: (codec?.recipients?.length ?? 0) > 0 };
}

/** --drill-every and its identity: an encrypted schedule's drills cannot read the backups without one. */
export function drillOf(
  args: ScheduleArgs,
  encrypted: boolean,
  jobNamespace: string,
  kubeName: (value: string, what: string) => string,
): ScheduleDrill | undefined {
  const secret = args['drill-identity-secret'];
  if (args['drill-every'] === undefined) {
    if (secret !== undefined)
      throw new UsageError('--drill-identity-secret goes with --drill-every', { hint: "e.g. --drill-every '0 4 * * 0'" });
    return undefined;
  }
  const schedule = parseCronSchedule(args['drill-every'], '--drill-every');
  if (encrypted && secret === undefined)
    throw new UsageError('the drills of encrypted backups need the age identity: pass --drill-identity-secret <name>', {
      hint: `kubectl create secret generic hcp-dr-age -n ${jobNamespace} --from-file=identity=<age-keygen file>, then add --drill-identity-secret hcp-dr-age`,
    });
  return {
    schedule,
    ...(secret !== undefined ? { identitySecret: kubeName(secret, '--drill-identity-secret') } : {}),
  };
}
