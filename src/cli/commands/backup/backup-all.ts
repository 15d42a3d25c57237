/** The flags of `backup --all` (definitions only; the handler is backup-all-run.ts). */
import type { Options } from 'yargs';

export const fleetOptions = {
  all: {
    type: 'boolean',
    describe: 'Back up every HostedCluster (of -n, or of every namespace), online unless --quiesce; exit 6 if some failed',
  },
  selector: { alias: 'l', type: 'string', describe: 'With --all: only HostedClusters matching this label selector (e.g. env=prod)' },
  concurrency: { type: 'string', describe: 'With --all: backups running at the same time, 1 to 32 (default 4)' },
} satisfies Record<string, Options>;

export interface FleetArgs {
  all?: boolean;
  selector?: string;
  concurrency?: string;
}
