/**
 * `schedule`: the CronJobs, ServiceAccount and least-privilege RBAC that run backups on the
 * management cluster, as a kustomize tree. Definition only: the handler (schedule-run.ts) is
 * imported when it runs. Offline: it reads nothing from the cluster.
 */
import type { Options } from 'yargs';
import type { CommandRegistrar } from '../../index.ts';
import { s3Options } from '../../s3-flags.ts';
import { registerRetentionOptions } from '../../retention-flags.ts';

/** What to back up and where to: the clusters (or the fleet) and the destinations. */
const targetOptions = {
  all: { type: 'boolean', describe: 'One fleet CronJob running "backup --all" (of -n, or of every namespace)' },
  selector: { alias: 'l', type: 'string', describe: 'With --all: only HostedClusters matching this label selector' },
  concurrency: { type: 'string', describe: 'With --all: backups running at the same time, 1 to 32 (default 4)' },
  to: { type: 'string', describe: 'Destination: s3://<bucket>[/<prefix>]', demandOption: true },
  'keys-to': { type: 'string', describe: 'Separate destination for the encryption key and PKI secrets' },
} as const satisfies Record<string, Options>;

/** The CronJobs: credentials, schedule, the flags passed to backup, drills, metrics and where the tree goes. */
const jobOptions = {
  'ca-bundle-configmap': {
    type: 'string',
    describe: 'ConfigMap (schedule namespace, key ca-bundle.crt) with the CA certificates of --endpoint, mounted into the pods',
  },
  every: {
    type: 'string',
    describe: "Cron schedule, 5 fields ('0 2 * * *') or @hourly, @daily, ...",
    demandOption: true,
  },
  'time-zone': { type: 'string', describe: 'IANA time zone of the schedule (spec.timeZone), e.g. Etc/UTC' },
  image: { type: 'string', describe: 'The hcp-dr image, e.g. ghcr.io/<owner>/hcp-dr@sha256:...', demandOption: true },
  's3-secret': {
    type: 'string',
    describe: 'Secret in the schedule namespace with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (referenced, never copied)',
  },
  'irsa-role-arn': { type: 'string', describe: 'IAM role for the ServiceAccount (EKS IRSA: eks.amazonaws.com/role-arn)' },
  online: { type: 'boolean', describe: 'The default: backups without API downtime' },
  quiesce: {
    type: 'boolean',
    describe: 'Quiesced backups (API downtime for the snapshot); the schedule is the confirmation',
  },
  force: { type: 'boolean', describe: 'Pass --force to backup: back up even when etcd members disagree' },
  'pause-ttl': { type: 'string', describe: 'Pass --pause-ttl to backup (with --quiesce)' },
  'wait-timeout': { type: 'string', describe: 'Pass --wait-timeout to backup' },
  'lock-days': { type: 'number', describe: 'Pass --lock-days to backup: S3 Object Lock retention of every object' },
  'lock-mode': { type: 'string', choices: ['governance', 'compliance'], describe: 'Pass --lock-mode to backup' },
  'job-namespace': { type: 'string', default: 'hcp-dr', describe: 'Namespace of the CronJobs and the ServiceAccount' },
  'starting-deadline': { type: 'string', default: '10m', describe: 'A run that could not start within this is skipped' },
  'active-deadline': {
    type: 'string',
    describe: 'A run is stopped after this (default 1h per cluster, 6h for --all)',
  },
  compress: {
    type: 'string',
    choices: ['zstd', 'none'],
    describe: 'Pass --compress to backup: zstd-compress every object of each backup',
  },
  'encrypt-to': {
    type: 'string',
    array: true,
    describe: 'Pass --encrypt-to to backup: age recipient (age1..., a public key; repeatable)',
  },
  'encrypt-to-file': {
    type: 'string',
    array: true,
    describe: 'Like --encrypt-to, for each recipient of this local file (read now, written into the CronJob)',
  },
  'drill-every': {
    type: 'string',
    describe: 'Also drill the newest backup of every scheduled hosted cluster on this cron schedule (docs/drill.md)',
  },
  'drill-identity-secret': {
    type: 'string',
    describe: 'Secret (schedule namespace, key identity) with the age identity the drills decrypt the backups with',
  },
  pushgateway: {
    type: 'string',
    describe: 'Prometheus Pushgateway the backups push their results to; adds a PrometheusRule with alerts (docs/metrics.md)',
  },
  out: { type: 'string', describe: 'Directory of the tree (new, empty, or a previous schedule tree)' },
  stdout: { type: 'boolean', describe: 'Write the objects as one multi-document YAML stream instead' },
} as const satisfies Record<string, Options>;

const examples: [string, string][] = [
  [
    "$0 schedule demo -n clusters --to s3://backups/hcp --every '0 */6 * * *' --image ghcr.io/o/hcp-dr:0.2.0 --s3-secret hcp-dr-s3 --keep-daily 7 --out gitops/mgmt-1/backups",
    'Every 6 hours, keeping 7 daily backups',
  ],
  [
    '$0 schedule --all --to s3://backups/hcp --every @daily --image ghcr.io/o/hcp-dr:0.2.0 --irsa-role-arn arn:aws:iam::123456789012:role/hcp-dr --stdout',
    'One fleet CronJob with workload identity',
  ],
  [
    "$0 schedule demo -n clusters --to s3://backups/hcp --every @daily --drill-every '0 4 * * 0' --encrypt-to age1... --drill-identity-secret hcp-dr-age --image ghcr.io/o/hcp-dr:0.2.0 --s3-secret hcp-dr-s3 --out gitops/backups",
    'Encrypted daily backups, drilled every Sunday with the identity from a Secret',
  ],
];

export const scheduleCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'schedule [hosted-cluster..]',
    'Write the CronJobs, ServiceAccount and least-privilege RBAC that back up hosted clusters on a schedule (a kustomize tree)',
    (c) =>
      registerRetentionOptions(
        c
          .positional('hosted-cluster', { type: 'string', array: true, describe: 'HostedClusters of -n: one CronJob each' })
          .options(targetOptions)
          .options(s3Options)
          .options(jobOptions),
      ).example(examples),
    async (args) => {
      const { schedule } = await import('./schedule-run.ts');
      done(await schedule(args, deps));
    },
  );
