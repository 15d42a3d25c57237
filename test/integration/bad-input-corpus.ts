/**
 * The bad-input corpus: command lines a user may type wrong, each with the exit code the README
 * documents, a fragment of the one `error:` line and of the `hint:` line that must follow it.
 * Run as a table by bad-input-corpus.test.ts against one sandbox, which also checks that no case
 * changed the cluster, the bucket or the disk.
 */

export interface CorpusContext {
  /** A scratch directory holding the input files below; its content must not change. */
  dir: string;
  kubeconfig: string;
  endpoint: string;
  bucket: string;
  /** A complete backup taken before the corpus runs: s3://<bucket>/<root>/clusters/demo/<id>/ */
  backupUrl: string;
  /** The --to root of that backup: s3://<bucket>/<root> */
  backupRoot: string;
  /** Whether HyperShift's CRDs are available (../shared); validation cases need them. */
  crds: string | undefined;
  /** A copy of that backup (its own id) whose encryption-key Secret object is missing from the bucket. */
  damagedBackupUrl: string;
}

export interface CorpusCase {
  /** Which command (for the report): etcd status, backup, backup list, ... */
  command: string;
  name: string;
  argv: string[];
  code: number;
  /** Matched against the `error:` line. */
  error: RegExp;
  /** Matched against the `hint:` line. */
  hint: RegExp;
  stdin?: string;
  /** Extra environment for the run (restored afterwards). */
  env?: Record<string, string>;
}

/** Files the corpus reads; written into ctx.dir by the test before the first case. */
export const CORPUS_FILES: Record<string, string> = {
  'notyaml.yaml': 'kind: HostedCluster\nmetadata: [unclosed\n  name: x\n',
  'empty.yaml': '',
  'garbage.key': 'this is not a key\n',
  'kubeconfig-notyaml': 'apiVersion: v1\nclusters: [\n',
  'kubeconfig-no-context': [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: ctx, context: {cluster: c, user: u}}]',
    '',
  ].join('\n'),
  'kubeconfig-dead': [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9", insecure-skip-tls-verify: true}}]',
    'users: [{name: u, user: {token: t}}]',
    'contexts: [{name: ctx, context: {cluster: c, user: u, namespace: clusters}}]',
    'current-context: ctx',
    '',
  ].join('\n'),
  'not-an-export/readme.txt': 'some notes\n',
  'a-file.txt': 'a regular file\n',
  'not-a-cert.pem': '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
  'bad-base64-ca.pem': '-----BEGIN CERTIFICATE-----\nMIIB!!not*base64@@\n-----END CERTIFICATE-----\n',
  'crds-empty/.keep': '',
};

const hc = (extra: { etcd?: string; name?: string } = {}) => `apiVersion: hypershift.openshift.io/v1beta1
kind: HostedCluster
metadata:
  name: ${extra.name ?? 'demo'}
  namespace: clusters
spec:
  release:
    image: quay.io/openshift-release-dev/ocp-release:4.19.3-x86_64
  pullSecret:
    name: demo-pull-secret
  platform:
    type: AWS
  networking:
    networkType: OVNKubernetes
  services: []
  etcd:
${extra.etcd ?? '    managementType: Managed\n    managed:\n      storage:\n        type: PersistentVolume'}
`;

/** Render inputs (besides the files above), built from one small HostedCluster. */
export const RENDER_INPUTS: Record<string, string> = {
  'two-clusters.yaml': `${hc()}---\n${hc({ name: 'other' })}`,
  'unmanaged.yaml': hc({
    etcd: '    managementType: Unmanaged\n    unmanaged:\n      endpoint: https://etcd.example.com:2379\n      tls:\n        clientSecret:\n          name: etcd-client',
  }),
  'with-url.yaml': hc({
    etcd: '    managementType: Managed\n    managed:\n      storage:\n        type: PersistentVolume\n        restoreSnapshotURL:\n        - https://old.example.com/snapshot.db',
  }),
  'one-cluster.yaml': hc(),
};

export function corpusCases(ctx: CorpusContext): CorpusCase[] {
  const f = (name: string) => `${ctx.dir}/${name}`;
  const s3 = ['--endpoint', ctx.endpoint, '--path-style'];
  const to = [`--to`, `s3://${ctx.bucket}/corpus`, ...s3];
  const kc = ['--kubeconfig', ctx.kubeconfig];
  const schedTo = ['--to', `s3://${ctx.bucket}/corpus`];
  const sched = ['schedule', 'demo', '-n', 'clusters', ...schedTo, '--image', 'ghcr.io/o/hcp-dr:1', '--s3-secret', 's3'];
  // One case a line, as a table is read.
  // prettier-ignore
  const cases: CorpusCase[] = [
    // --- global flags and the command tree ---
    { command: 'global', name: 'no command', argv: [], code: 2, error: /a command is required/, hint: /--help/ },
    { command: 'global', name: 'unknown command', argv: ['nosuch'], code: 2, error: /unknown argument: nosuch/, hint: /--help/ },
    { command: 'global', name: 'unknown flag', argv: ['version', '--bogus'], code: 2, error: /unknown flag: --bogus$/, hint: /version --help/ },
    { command: 'global', name: '-o with an unknown format', argv: ['version', '-o', 'xml'], code: 2, error: /unsupported output format "xml"/, hint: /pass -o table/ },
    { command: 'global', name: '--request-timeout not a duration', argv: ['etcd', 'status', 'demo', ...kc, '--request-timeout', 'soon'], code: 2, error: /invalid duration "soon" for --request-timeout/, hint: /30s, 5m/ },
    { command: 'global', name: '--request-timeout negative', argv: ['etcd', 'status', 'demo', ...kc, '--request-timeout', '-5s'], code: 2, error: /"-5s".*cannot be negative/, hint: /30s, 5m/ },
    { command: 'global', name: '--request-timeout beyond 24h', argv: ['etcd', 'status', 'demo', ...kc, '--request-timeout', '9999h'], code: 2, error: /--request-timeout "9999h": it must be between 0 and 24h/, hint: /0 means no timeout/ },
    { command: 'global', name: '--kubeconfig empty', argv: ['etcd', 'status', 'demo', '--kubeconfig', ''], code: 2, error: /--kubeconfig needs a value/, hint: /./ },
    { command: 'global', name: '-n empty', argv: ['etcd', 'status', 'demo', ...kc, '-n', ''], code: 2, error: /--namespace needs a value/, hint: /./ },
    { command: 'global', name: '--kubeconfig missing file', argv: ['etcd', 'status', 'demo', '--kubeconfig', f('nosuch-kubeconfig')], code: 2, error: /nosuch-kubeconfig/, hint: /./ },
    { command: 'global', name: '--kubeconfig not YAML', argv: ['etcd', 'status', 'demo', '--kubeconfig', f('kubeconfig-notyaml')], code: 2, error: /kubeconfig-notyaml/, hint: /./ },
    { command: 'global', name: '--kubeconfig a directory', argv: ['etcd', 'status', 'demo', '--kubeconfig', f('crds-empty')], code: 2, error: /crds-empty/, hint: /./ },
    { command: 'global', name: '--context unknown', argv: ['etcd', 'status', 'demo', ...kc, '--context', 'nosuch'], code: 2, error: /nosuch/, hint: /./ },
    { command: 'global', name: 'kubeconfig without current-context', argv: ['etcd', 'status', 'demo', '--kubeconfig', f('kubeconfig-no-context')], code: 2, error: /current-context|context/, hint: /--context/ },

    // --- etcd status ---
    { command: 'etcd status', name: 'no subcommand', argv: ['etcd'], code: 2, error: /name a subcommand/, hint: /--help/ },
    { command: 'etcd status', name: 'no name and no -A', argv: ['etcd', 'status', ...kc], code: 2, error: /a hosted cluster name is required/, hint: /-A for all/ },
    { command: 'etcd status', name: 'a name and -A', argv: ['etcd', 'status', 'demo', '-A', ...kc], code: 2, error: /either a hosted cluster name or -A/, hint: /./ },
    { command: 'etcd status', name: 'unknown cluster', argv: ['etcd', 'status', 'nosuch', '-n', 'clusters', ...kc], code: 3, error: /nosuch/, hint: /./ },
    { command: 'etcd status', name: 'unknown namespace', argv: ['etcd', 'status', 'demo', '-n', 'nosuch-ns', ...kc], code: 3, error: /nosuch-ns/, hint: /./ },
    { command: 'etcd status', name: '-o yaml2', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '-o', 'yaml2'], code: 2, error: /unsupported output format/, hint: /-o/ },
    { command: 'etcd status', name: 'API server unreachable', argv: ['etcd', 'status', 'demo', '--kubeconfig', f('kubeconfig-dead')], code: 1, error: /127\.0\.0\.1:9|ECONNREFUSED|connect/, hint: /./ },
    { command: 'etcd status', name: '--max-backup-age without --backups', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--max-backup-age', '1h'], code: 2, error: /--max-backup-age needs --backups/, hint: /--backups s3:\/\// },
    { command: 'etcd status', name: '--max-backup-age not a duration', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--backups', `s3://${ctx.bucket}/corpus`, ...s3, '--max-backup-age', 'soon'], code: 2, error: /invalid duration "soon" for --max-backup-age/, hint: /30s, 5m/ },
    { command: 'etcd status', name: '--max-backup-age negative', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--backups', `s3://${ctx.bucket}/corpus`, ...s3, '--max-backup-age', '-1h'], code: 2, error: /"-1h".*cannot be negative/, hint: /30s, 5m/ },
    { command: 'etcd status', name: '--max-backup-age under a minute', argv: ['etcd', 'status', '-A', ...kc, '--backups', `s3://${ctx.bucket}/corpus`, ...s3, '--max-backup-age', '10s'], code: 2, error: /invalid --max-backup-age "10s": it must be between 1m and 366d/, hint: /backup schedule/ },
    { command: 'etcd status', name: '--concurrency without -A', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--concurrency', '4'], code: 2, error: /--concurrency applies to etcd status -A only/, hint: /etcd status -A --concurrency 16/ },
    { command: 'etcd status', name: '--hashkv without -A', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--hashkv'], code: 2, error: /--hashkv applies to etcd status -A only/, hint: /etcd status -A --hashkv/ },
    { command: 'etcd status', name: '-A --concurrency 0', argv: ['etcd', 'status', '-A', ...kc, '--concurrency', '0'], code: 2, error: /invalid --concurrency "0": it must be a whole number from 1 to 32/, hint: /default is 16/ },
    { command: 'etcd status', name: '--backups not s3://', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--backups', '/tmp/backups'], code: 2, error: /--backups/, hint: /s3:\/\// },
    { command: 'etcd status', name: '--backups a missing bucket', argv: ['etcd', 'status', 'demo', '-n', 'clusters', ...kc, '--backups', 's3://no-such-bucket/x', ...s3], code: 3, error: /no-such-bucket/, hint: /./ },

    // --- etcd restore ---
    { command: 'etcd restore', name: 'no snapshot source', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc], code: 2, error: /name the snapshot to restore/, hint: /exactly one of --from-backup/ },
    { command: 'etcd restore', name: 'two snapshot sources', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-member', 'etcd-0', '--from-file', f('garbage.key')], code: 2, error: /pass only one of --from-member, --from-file/, hint: /exactly one of/ },
    { command: 'etcd restore', name: '--from-member not a member pod', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-member', 'kube-apiserver'], code: 2, error: /invalid --from-member "kube-apiserver"/, hint: /etcd status/ },
    { command: 'etcd restore', name: '--from-member beyond the replicas', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-member', 'etcd-7', '--yes'], code: 2, error: /members are etcd-0 to etcd-2/, hint: /--from-member etcd-0/ },
    { command: 'etcd restore', name: '--from-file missing', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-file', f('nosuch.db')], code: 2, error: /--from-file ".*nosuch\.db": no such file/, hint: /etcdctl snapshot save/ },
    { command: 'etcd restore', name: '--from-file not a snapshot', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-file', f('garbage.key'), '--yes'], code: 3, error: /failed to verify .*garbage\.key: not an etcd snapshot/, hint: /nothing was changed/ },
    { command: 'etcd restore', name: '--from-backup not an s3:// URL', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-backup', 'https://example.com/b/'], code: 2, error: /invalid S3 URL "https:\/\/example\.com\/b\/" for --from-backup/, hint: /./ },
    { command: 'etcd restore', name: '--from-backup without backup.json', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-backup', `${ctx.backupRoot}/clusters/demo/20990101T000000Z-000000/`, ...s3, '--yes'], code: 3, error: /no backup\.json/, hint: /backup list/ },
    { command: 'etcd restore', name: '--wait-timeout not a duration', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-member', 'etcd-0', '--wait-timeout', 'soon'], code: 2, error: /invalid duration "soon" for --wait-timeout/, hint: /./ },
    { command: 'etcd restore', name: 'unknown cluster', argv: ['etcd', 'restore', 'nosuch', '-n', 'clusters', ...kc, '--from-member', 'etcd-0', '--yes'], code: 3, error: /nosuch/, hint: /./ },
    { command: 'etcd restore', name: 'no --yes without a terminal', argv: ['etcd', 'restore', 'demo', '-n', 'clusters', ...kc, '--from-backup', ctx.backupUrl, ...s3], code: 2, error: /refusing to continue without confirmation: Restore etcd/, hint: /pass --yes/ },

    // --- backup ---
    { command: 'backup', name: 'no --to', argv: ['backup', 'demo', '-n', 'clusters', ...kc], code: 2, error: /Missing required argument: to/, hint: /--help/ },
    { command: 'backup', name: 'no cluster name', argv: ['backup', ...to, ...kc], code: 2, error: /a hosted cluster name is required/, hint: /--all for every HostedCluster/ },
    { command: 'backup', name: '--to not s3://', argv: ['backup', 'demo', '-n', 'clusters', ...kc, '--to', 'https://bucket/x'], code: 2, error: /--to/, hint: /s3:\/\// },
    { command: 'backup', name: '--to without a bucket', argv: ['backup', 'demo', '-n', 'clusters', ...kc, '--to', 's3://'], code: 2, error: /--to/, hint: /s3:\/\// },
    { command: 'backup', name: '--keys-to not s3://', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--keys-to', 'keys'], code: 2, error: /--keys-to/, hint: /s3:\/\// },
    { command: 'backup', name: '--pause-ttl negative', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--pause-ttl', '-5m'], code: 2, error: /duration "-5m" for --pause-ttl: a duration cannot be negative/, hint: /30s, 5m/ },
    { command: 'backup', name: '--pause-ttl overflowing the timers', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--pause-ttl', '9999999h'], code: 2, error: /--pause-ttl "9999999h": it must be between 1m and 24h/, hint: /renewed/ },
    { command: 'backup', name: '--pause-ttl too short', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--pause-ttl', '30s'], code: 2, error: /between 1m and 24h/, hint: /outlast the snapshot/ },
    { command: 'backup', name: '--wait-timeout 0', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--wait-timeout', '0'], code: 2, error: /--wait-timeout "0": it must be between 1s and 24h/, hint: /5m/ },
    { command: 'backup', name: '--online with --quiesce', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--online', '--quiesce'], code: 2, error: /either --online or --quiesce, not both/, hint: /no downtime/ },
    { command: 'backup', name: '--no-quiesce alone', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--no-quiesce'], code: 2, error: /--no-quiesce needs --online/, hint: /--online/ },
    { command: 'backup', name: '--sse rot13', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--sse', 'rot13'], code: 2, error: /invalid --sse "rot13"/, hint: /./ },
    { command: 'backup', name: '--sse-kms-key-id without aws:kms', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--sse-kms-key-id', 'k1'], code: 2, error: /--sse-kms-key-id needs --sse aws:kms/, hint: /./ },
    { command: 'backup', name: 'quiesce without --yes and no terminal', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to], code: 2, error: /./, hint: /pass --yes to confirm/ },
    { command: 'backup', name: 'unknown cluster', argv: ['backup', 'nosuch', '-n', 'clusters', ...kc, ...to, '--online'], code: 3, error: /nosuch/, hint: /./ },
    { command: 'backup', name: '--keys-to a missing bucket (found before any downtime)', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--keys-to', 's3://no-such-keys-bucket/k', '--yes'], code: 3, error: /no-such-keys-bucket/, hint: /./ },
    { command: 'backup', name: '--dry-run to a missing bucket', argv: ['backup', 'demo', '-n', 'clusters', ...kc, '--to', 's3://no-such-bucket/x', ...s3, '--dry-run'], code: 3, error: /no-such-bucket/, hint: /./ },
    { command: 'backup', name: 'a prefix too long for S3 keys', argv: ['backup', 'demo', '-n', 'clusters', ...kc, '--to', `s3://${ctx.bucket}/${'p'.repeat(980)}`, ...s3, '--yes'], code: 2, error: /bytes, S3 allows at most 1024/, hint: /shorten the prefix of --to/ },
    { command: 'backup', name: '--dry-run with a prefix too long', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--keys-to', `s3://${ctx.bucket}/${'k'.repeat(990)}`, '--dry-run'], code: 2, error: /S3 allows at most 1024/, hint: /shorten the prefix of --keys-to/ },
    { command: 'backup', name: 'S3 endpoint refusing connections', argv: ['backup', 'demo', '-n', 'clusters', ...kc, '--to', `s3://${ctx.bucket}/x`, '--endpoint', 'http://127.0.0.1:9', '--path-style', '--online'], code: 1, error: /127\.0\.0\.1:9|ECONNREFUSED|connect|reach/i, hint: /./ },
    { command: 'backup', name: '--all: a cluster name with --all', argv: ['backup', 'demo', '--all', ...kc, ...to], code: 2, error: /either a hosted cluster name or --all, not both \(got "demo"\)/, hint: /backup --all/ },
    { command: 'backup', name: '--all: --concurrency 0', argv: ['backup', '--all', ...kc, ...to, '--concurrency', '0'], code: 2, error: /invalid --concurrency "0": it must be a whole number from 1 to 32/, hint: /default is 4/ },
    { command: 'backup', name: '--all: --concurrency not a number', argv: ['backup', '--all', ...kc, ...to, '--concurrency', 'many'], code: 2, error: /invalid --concurrency "many"/, hint: /default is 4/ },
    { command: 'backup', name: '--all: --concurrency beyond 32', argv: ['backup', '--all', ...kc, ...to, '--concurrency', '100'], code: 2, error: /from 1 to 32/, hint: /default is 4/ },
    { command: 'backup', name: '--all: --concurrency without --all', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--concurrency', '2'], code: 2, error: /--concurrency needs --all/, hint: /backup --all/ },
    { command: 'backup', name: '--all: -l without --all', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '-l', 'env=prod'], code: 2, error: /--selector needs --all/, hint: /backup --all/ },
    { command: 'backup', name: '--all: -l empty', argv: ['backup', '--all', ...kc, ...to, '-l', ' '], code: 2, error: /--selector \(-l\) needs a value/, hint: /-l env=prod/ },
    { command: 'backup', name: '--all: --online with --quiesce', argv: ['backup', '--all', ...kc, ...to, '--online', '--quiesce'], code: 2, error: /either --online or --quiesce, not both/, hint: /no downtime/ },
    { command: 'backup', name: '--all: --quiesce without --yes and no terminal', argv: ['backup', '--all', ...kc, ...to, '--quiesce'], code: 2, error: /./, hint: /pass --yes to confirm/ },
    { command: 'backup', name: '--all: a selector matching nothing', argv: ['backup', '--all', ...kc, ...to, '-l', 'env=nosuch'], code: 3, error: /no HostedCluster in any namespace matching env=nosuch/, hint: /check -n and -l/ },
    { command: 'backup', name: '--all: a missing bucket (found before any cluster is touched)', argv: ['backup', '--all', ...kc, '--to', 's3://no-such-bucket/x', ...s3], code: 3, error: /no-such-bucket/, hint: /./ },
    { command: 'backup', name: 'wrong S3 credentials', argv: ['backup', 'demo', '-n', 'clusters', ...kc, ...to, '--online'], env: { AWS_SECRET_ACCESS_KEY: 'wrong-secret' }, code: 1, error: /SignatureDoesNotMatch|credentials|signature/i, hint: /./ },

    // --- backup list ---
    { command: 'backup list', name: 'no --from', argv: ['backup', 'list', ...s3], code: 2, error: /Missing required argument: from/, hint: /--help/ },
    { command: 'backup list', name: '--from not s3://', argv: ['backup', 'list', '--from', '/tmp/backups', ...s3], code: 2, error: /--from/, hint: /s3:\/\// },
    { command: 'backup list', name: 'a missing bucket', argv: ['backup', 'list', '--from', 's3://no-such-bucket/x', ...s3], code: 3, error: /no-such-bucket/, hint: /./ },
    { command: 'backup list', name: '-o wide', argv: ['backup', 'list', '--from', ctx.backupRoot, ...s3, '-o', 'wide'], code: 2, error: /unsupported output format "wide"/, hint: /-o/ },
    { command: 'backup list', name: '--ca-bundle missing file', argv: ['backup', 'list', '--from', ctx.backupRoot, '--endpoint', ctx.endpoint.replace('http:', 'https:'), '--ca-bundle', f('nosuch-ca.pem')], code: 2, error: /nosuch-ca\.pem/, hint: /./ },

    // --- backup verify ---
    { command: 'backup verify', name: 'no argument', argv: ['backup', 'verify'], code: 2, error: /Not enough non-option arguments|backup/, hint: /--help/ },
    { command: 'backup verify', name: 'an https:// URL', argv: ['backup', 'verify', 'https://example.com/snap.db'], code: 2, error: /pass an s3:\/\/ URL or a local file/, hint: /backup verify s3:/ },
    { command: 'backup verify', name: 'a missing local file', argv: ['backup', 'verify', f('nosuch.db')], code: 3, error: /nosuch\.db/, hint: /./ },
    { command: 'backup verify', name: 'a prefix without backup.json', argv: ['backup', 'verify', `s3://${ctx.bucket}/corpus/clusters/demo/20990101T000000Z-000000/`, ...s3], code: 3, error: /backup\.json/, hint: /./ },
    // --- backup prune (every case fails before anything is deleted) ---
    { command: 'backup prune', name: 'no --from', argv: ['backup', 'prune', '--keep-last', '3', ...s3], code: 2, error: /Missing required argument: from/, hint: /--help/ },
    { command: 'backup prune', name: 'no retention rule', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3], code: 2, error: /no retention rule: pass at least one of --keep-last/, hint: /--keep-last 7 --keep-daily 14/ },
    { command: 'backup prune', name: 'only rules that are off', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-last', '0', '--keep-within', '0d'], code: 2, error: /no retention rule/, hint: /newest backup of each cluster is always kept/ },
    { command: 'backup prune', name: '--keep-last negative', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-last', '-1'], code: 2, error: /invalid --keep-last "-1": a count cannot be negative/, hint: /unlimited/ },
    { command: 'backup prune', name: '--keep-daily not a number', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-daily', 'seven'], code: 2, error: /invalid --keep-daily "seven"/, hint: /whole number/ },
    { command: 'backup prune', name: '--keep-within in weeks', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-within', '2w'], code: 2, error: /invalid --keep-within "2w"/, hint: /m \(months\)/ },
    { command: 'backup prune', name: '--incomplete-grace 0', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-last', '3', '--incomplete-grace', '0'], code: 2, error: /--incomplete-grace "0": it must be between 1h and 8760h/, hint: /still running/ },
    { command: 'backup prune', name: '--from not s3://', argv: ['backup', 'prune', '--from', '/tmp/backups', ...s3, '--keep-last', '3'], code: 2, error: /--from/, hint: /s3:\/\// },
    { command: 'backup prune', name: 'a missing bucket', argv: ['backup', 'prune', '--from', 's3://no-such-bucket/x', ...s3, '--keep-last', '3'], code: 3, error: /no-such-bucket/, hint: /./ },
    { command: 'backup prune', name: '-o wide', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-last', '3', '-o', 'wide'], code: 2, error: /unsupported output format "wide"/, hint: /-o/ },

    // --- move (every case fails before the first change) ---
    { command: 'move', name: 'no --to-context', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--via', `s3://${ctx.bucket}/moves`, ...s3], code: 2, error: /Missing required argument: to-context/, hint: /--help/ },
    { command: 'move', name: '--via not an s3:// URL', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'other', '--via', 'https://example.com/b', ...s3], code: 2, error: /invalid S3 URL "https:\/\/example\.com\/b" for --via/, hint: /./ },
    { command: 'move', name: '--dns-timeout not a duration', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'other', '--via', `s3://${ctx.bucket}/moves`, '--dns-timeout', 'soon'], code: 2, error: /invalid duration "soon" for --dns-timeout/, hint: /./ },
    { command: 'move', name: '--pause-ttl below a minute', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'other', '--via', `s3://${ctx.bucket}/moves`, '--pause-ttl', '10s'], code: 2, error: /invalid --pause-ttl "10s": it must be between 1m and 24h/, hint: /./ },
    { command: 'move', name: '--dns-server not an address', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'other', '--via', `s3://${ctx.bucket}/moves`, '--dns-server', 'dns.example.com'], code: 2, error: /invalid --dns-server "dns\.example\.com"/, hint: /IP address/ },
    { command: 'move', name: 'no --yes without a terminal', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'other', '--via', `s3://${ctx.bucket}/moves`, ...s3], code: 2, error: /refusing to move without confirmation/, hint: /pass --yes/ },
    { command: 'move', name: '--nodes not a mode (the destination context does not exist)', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'nosuch', '--via', `s3://${ctx.bucket}/moves`, ...s3, '--nodes', 'bogus', '--yes'], code: 2, error: /Invalid values:.*Argument: nodes, Given: "bogus", Choices: "auto", "adopt", "keep"/, hint: /--help/ },
    { command: 'move', name: '--with-nodes with --nodes keep, checked before connecting (the source context does not exist)', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--context', 'nosuch', '--to-context', 'other', '--via', `s3://${ctx.bucket}/moves`, ...s3, '--with-nodes', '--nodes', 'keep', '--yes'], code: 2, error: /--with-nodes means --nodes adopt, not --nodes keep/, hint: /pass one of them/ },
    { command: 'move', name: 'an unknown --to-context', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'nosuch', '--via', `s3://${ctx.bucket}/moves`, ...s3, '--yes'], code: 2, error: /nosuch/, hint: /./ },
    { command: 'move', name: 'the same cluster as destination', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'sandbox', '--via', `s3://${ctx.bucket}/moves`, ...s3, '--yes'], code: 3, error: /the source and destination are the same management cluster/, hint: /--to-context/ },
    // --- resume ---
    { command: 'resume', name: 'no cluster name', argv: ['resume', ...kc], code: 2, error: /Not enough non-option arguments/, hint: /--help/ },
    { command: 'resume', name: 'unknown cluster', argv: ['resume', 'nosuch', '-n', 'clusters', ...kc], code: 3, error: /nosuch/, hint: /./ },
    { command: 'resume', name: 'API server unreachable', argv: ['resume', 'demo', '--kubeconfig', f('kubeconfig-dead')], code: 1, error: /127\.0\.0\.1:9|ECONNREFUSED|connect/, hint: /./ },

    // --- render ---
    { command: 'render', name: 'no snapshot source', argv: ['render', '-f', f('one-cluster.yaml')], code: 2, error: /pass --from-backup s3:\/\/\.\.\. or --snapshot-url/, hint: /render --help/ },
    { command: 'render', name: 'an http:// snapshot URL', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 'http://example.com/s.db', '--encryption-key-secret', 'k'], code: 2, error: /https/, hint: /./ },
    { command: 'render', name: 'an s3:// snapshot URL', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 's3://b/s.db', '--encryption-key-secret', 'k'], code: 2, error: /s3:\/\//, hint: /./ },
    { command: 'render', name: '--snapshot-url twice', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 'https://a/s.db', '--snapshot-url', 'https://b/s.db'], code: 2, error: /--snapshot-url given 2 times/, hint: /./ },
    { command: 'render', name: '--expires beyond 7d', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.backupUrl, ...s3, '--expires', '8d'], code: 2, error: /invalid --expires "8d"/, hint: /24h/ },
    { command: 'render', name: '--expires negative', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.backupUrl, ...s3, '--expires', '-1h'], code: 2, error: /cannot be negative/, hint: /./ },
    { command: 'render', name: '--stage-snapshot without --from-backup', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k', '--stage-snapshot'], code: 2, error: /--stage-snapshot stages the snapshot of a backup: it needs --from-backup/, hint: /--from-backup s3:\/\/\.\.\. --stage-snapshot/ },
    { command: 'render', name: 'both key flags', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k', '--encryption-key-file', f('garbage.key')], code: 2, error: /either --encryption-key-secret or --encryption-key-file/, hint: /./ },
    { command: 'render', name: 'a key Secret name that is no name', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'Bad_Name'], code: 2, error: /not a Secret name/, hint: /./ },
    { command: 'render', name: 'a key file that holds no key', argv: ['render', '-f', f('one-cluster.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-file', f('garbage.key')], code: 2, error: /not a Secret manifest, a base64 key/, hint: /oc get secret/ },
    { command: 'render', name: 'input not YAML', argv: ['render', '-f', f('notyaml.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k'], code: 2, error: /notyaml\.yaml:\d+:\d+/, hint: /./ },
    { command: 'render', name: 'input missing', argv: ['render', '-f', f('nosuch.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k'], code: 2, error: /nosuch\.yaml/, hint: /./ },
    { command: 'render', name: 'empty input', argv: ['render', '-f', f('empty.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k'], code: 2, error: /no HostedCluster/, hint: /create cluster/ },
    { command: 'render', name: 'two HostedClusters', argv: ['render', '-f', f('two-clusters.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k'], code: 2, error: /2 HostedClusters/, hint: /./ },
    { command: 'render', name: 'etcd Unmanaged', argv: ['render', '-f', f('unmanaged.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k', '--no-validate'], code: 3, error: /etcd is Unmanaged/, hint: /unmanaged etcd/ },
    { command: 'render', name: 'an existing restoreSnapshotURL', argv: ['render', '-f', f('with-url.yaml'), '--snapshot-url', 'https://a/s.db', '--encryption-key-secret', 'k', '--no-validate'], code: 3, error: /already set and is immutable/, hint: /--force/ },
    { command: 'render', name: '--crd missing, checked before any S3 read', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', 's3://no-such-bucket/x/clusters/demo/20260101T000000Z-000000/', ...s3, '--crd', f('nosuch-crds')], code: 2, error: /failed to read --crd .*nosuch-crds/, hint: /./ },
    { command: 'render', name: 'a prefix without backup.json', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', `${ctx.backupRoot}/clusters/demo/20990101T000000Z-000000/`, ...s3, '--no-validate'], code: 3, error: /backup\.json not found/, hint: new RegExp(`backup list --from ${ctx.backupRoot.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`) },
    { command: 'render', name: 'a key that is not the backup\'s, with --include-secrets', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.backupUrl, ...s3, '--encryption-key-file', f('wrong.key'), '--include-secrets', '--no-validate'], code: 3, error: /is not the key of the backup/, hint: /original key/ },
    { command: 'render', name: 'a key that is not the backup\'s, without --include-secrets', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.backupUrl, ...s3, '--encryption-key-file', f('wrong.key'), '--no-validate'], code: 3, error: /is not the key of the backup/, hint: /original key/ },
    { command: 'render', name: 'a key that is not the backup\'s, with --expires', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.backupUrl, ...s3, '--expires', '1h', '--encryption-key-file', f('wrong.key'), '--no-validate'], code: 3, error: /is not the key of the backup/, hint: /original key/ },

    // --- validate ---
    { command: 'validate', name: 'no -f', argv: ['validate'], code: 2, error: /Missing required argument: f/, hint: /--help/ },
    { command: 'validate', name: 'an empty file', argv: ['validate', '-f', f('empty.yaml'), '--crd', f('crds-empty')], code: 2, error: /empty\.yaml: it holds no objects \(it is empty\)/, hint: /manifests/ },
    { command: 'validate', name: 'a closed stdin', argv: ['validate', '-f', '-', '--crd', f('crds-empty')], stdin: '', code: 2, error: /stdin: it holds no objects/, hint: /pipe the manifests/ },
    { command: 'validate', name: 'input not YAML', argv: ['validate', '-f', f('notyaml.yaml'), '--crd', f('crds-empty')], code: 2, error: /notyaml\.yaml:\d+:\d+/, hint: /./ },
    { command: 'validate', name: '--crd not YAML', argv: ['validate', '-f', f('one-cluster.yaml'), '--crd', f('notyaml.yaml')], code: 2, error: /failed to parse YAML in .*notyaml\.yaml:\d+:\d+/, hint: /oc get crd/ },
    { command: 'validate', name: '--crd missing', argv: ['validate', '-f', f('one-cluster.yaml'), '--crd', f('nosuch-crds')], code: 2, error: /failed to read --crd/, hint: /./ },
    { command: 'validate', name: '--crd a directory without CRDs', argv: ['validate', '-f', f('one-cluster.yaml'), '--crd', f('crds-empty')], code: 2, error: /no CustomResourceDefinition found/, hint: /oc get crd/ },
    { command: 'validate', name: '--old with --against-cluster', argv: ['validate', '-f', f('one-cluster.yaml'), '--old', f('one-cluster.yaml'), '--against-cluster'], code: 2, error: /either --old or --against-cluster/, hint: /./ },
    { command: 'validate', name: '--against-cluster with the API server unreachable', argv: ['validate', '-f', f('one-cluster.yaml'), '--against-cluster', '--kubeconfig', f('kubeconfig-dead')], code: 1, error: /127\.0\.0\.1:9|ECONNREFUSED|connect|reach/i, hint: /./ },

    // --- export ---
    { command: 'export', name: 'neither a name nor --from-backup', argv: ['export', '--out', f('out-new')], code: 2, error: /name a hosted cluster or pass --from-backup/, hint: /export <hosted-cluster>/ },
    { command: 'export', name: 'a name and --from-backup', argv: ['export', 'demo', '--from-backup', ctx.backupUrl, '--out', f('out-new')], code: 2, error: /not both/, hint: /./ },
    { command: 'export', name: 'no target', argv: ['export', 'demo', '-n', 'clusters', ...kc], code: 2, error: /exactly one of --out <dir>, --stdout or --diff <dir>/, hint: /./ },
    { command: 'export', name: '--out and --stdout', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--stdout'], code: 2, error: /exactly one of/, hint: /./ },
    { command: 'export', name: '--diff into a directory that is not an export', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--diff', f('not-an-export')], code: 2, error: /--diff ".*not-an-export" is not an export/, hint: /--out directory of a previous/ },
    { command: 'export', name: '--diff into a missing directory', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--diff', f('nosuch-dir')], code: 2, error: /does not exist/, hint: /--out directory/ },
    { command: 'export', name: '--out a regular file', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('a-file.txt')], code: 2, error: /exists and is not a directory/, hint: /./ },
    { command: 'export', name: '--out a non-empty directory that is not an export', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('not-an-export')], code: 2, error: /refusing to write into/, hint: /--force/ },
    { command: 'export', name: '--secrets bogus', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--secrets', 'bogus'], code: 2, error: /invalid --secrets "bogus"/, hint: /./ },
    { command: 'export', name: '--secrets sealed without --cert', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--secrets', 'sealed'], code: 2, error: /needs --cert/, hint: /kubeseal --fetch-cert/ },
    { command: 'export', name: '--cert missing', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--secrets', 'sealed', '--cert', f('nosuch.pem')], code: 2, error: /--cert .*no such file/, hint: /./ },
    { command: 'export', name: '--cert not a certificate', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--secrets', 'sealed', '--cert', f('not-a-cert.pem')], code: 2, error: /not-a-cert\.pem/, hint: /./ },
    { command: 'export', name: '--cert without --secrets sealed', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--cert', f('not-a-cert.pem')], code: 2, error: /--cert is only used with --secrets sealed/, hint: /./ },
    { command: 'export', name: '--secrets external without a store', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--secrets', 'external'], code: 2, error: /needs --secret-store/, hint: /./ },
    { command: 'export', name: '--secret-store-kind Vault', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--secrets', 'external', '--secret-store', 's', '--secret-store-kind', 'Vault'], code: 2, error: /invalid --secret-store-kind "Vault"/, hint: /./ },
    { command: 'export', name: '--argocd-app not a URL', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--argocd-app', 'not a url'], code: 2, error: /invalid --argocd-app "not a url": not a git repository URL/, hint: /https:\/\/git\.example\.com/ },
    { command: 'export', name: '--argocd-path escaping the repository', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', f('out-new'), '--argocd-app', 'https://git.example.com/ops.git', '--argocd-path', '../x'], code: 2, error: /invalid --argocd-path/, hint: /./ },
    { command: 'export', name: 'unknown cluster', argv: ['export', 'nosuch', '-n', 'clusters', ...kc, '--out', f('out-new')], code: 3, error: /nosuch/, hint: /./ },
    { command: 'export', name: 'a prefix without backup.json', argv: ['export', '--from-backup', `${ctx.backupRoot}/clusters/demo/20990101T000000Z-000000/`, ...s3, '--out', f('out-new')], code: 3, error: /backup\.json/, hint: /./ },

    // --- drill ---
    { command: 'drill', name: 'no backup and no --latest', argv: ['drill', ...kc, ...s3], code: 2, error: /drill needs a backup URL or --latest <hosted-cluster>/, hint: /drill s3:\/\// },
    { command: 'drill', name: '--latest without --from', argv: ['drill', '--latest', 'demo', '-n', 'clusters', ...kc, ...s3], code: 2, error: /--latest needs --from/, hint: /--to of the backups/ },
    { command: 'drill', name: 'a prefix without backup.json', argv: ['drill', `${ctx.backupRoot}/clusters/demo/20990101T000000Z-000000/`, ...kc, ...s3], code: 3, error: /backup\.json/, hint: /backup list/ },

    // --- schedule ---
    { command: 'schedule', name: 'no --every', argv: ['schedule', 'demo', '-n', 'clusters', '--to', `s3://${ctx.bucket}/corpus`, '--image', 'ghcr.io/o/hcp-dr:1', '--s3-secret', 's3', '--stdout'], code: 2, error: /Missing required argument: every/, hint: /--help/ },
    { command: 'schedule', name: 'a cron field out of range', argv: [...sched, '--every', '0 25 * * *', '--stdout'], code: 2, error: /invalid --every "0 25 \* \* \*": hour "25": 25 is outside 0-23/, hint: /five fields/ },
    { command: 'schedule', name: 'a cron schedule of 4 fields', argv: [...sched, '--every', '0 2 * *', '--stdout'], code: 2, error: /4 fields, a schedule has 5/, hint: /@daily/ },
    { command: 'schedule', name: 'no S3 credentials', argv: ['schedule', 'demo', '-n', 'clusters', '--to', `s3://${ctx.bucket}/corpus`, '--image', 'ghcr.io/o/hcp-dr:1', '--every', '@daily', '--stdout'], code: 2, error: /exactly one of --s3-secret <name> or --irsa-role-arn <arn>/, hint: /AWS_ACCESS_KEY_ID/ },
    { command: 'schedule', name: 'a CA file of this machine', argv: [...sched, '--every', '@daily', '--ca-bundle', f('empty.yaml'), '--stdout'], code: 2, error: /--ca-bundle names a file on this machine/, hint: /--ca-bundle-configmap/ },
    { command: 'schedule', name: 'names and --all', argv: [...sched, '--all', '--every', '@daily', '--stdout'], code: 2, error: /name hosted clusters or pass --all, not both/, hint: /fleet CronJob/ },
    { command: 'schedule', name: '--out and --stdout', argv: [...sched, '--every', '@daily', '--stdout', '--out', f('out-new')], code: 2, error: /exactly one of --out <dir> or --stdout/, hint: /schedule <hosted-cluster>/ },
    { command: 'schedule', name: '--concurrency without --all', argv: [...sched, '--every', '@daily', '--concurrency', '8', '--stdout'], code: 2, error: /--concurrency goes with --all/, hint: /schedule --all --concurrency/ },
    { command: 'schedule', name: '--all --concurrency 0', argv: ['schedule', '--all', ...schedTo, '--image', 'ghcr.io/o/hcp-dr:1', '--s3-secret', 's3', '--every', '@daily', '--concurrency', '0', '--stdout'], code: 2, error: /invalid --concurrency "0": it must be a whole number from 1 to 32/, hint: /default is 4/ },
    { command: 'schedule', name: '--out a non-empty directory that is not a schedule', argv: [...sched, '--every', '@daily', '--out', f('not-an-export')], code: 2, error: /refusing to write into .*not an? .*previous hcp-dr schedule/, hint: /empty/ },

    // --- issue 26: one check in every path ---
    // repeated flags: the last value is the one taken (kubectl's convention), and checked as such
    { command: 'etcd status', name: 'a flag given twice takes the last value (checked)', argv: ['etcd', 'status', '-A', ...kc, '--concurrency', '16', '--concurrency', '0'], code: 2, error: /invalid --concurrency "0"/, hint: /default is 16/ },
    { command: 'backup prune', name: 'a retention flag given twice: the last value, negative', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-last', '3', '--keep-last', '-1'], code: 2, error: /invalid --keep-last "-1": a count cannot be negative/, hint: /whole number/ },
    { command: 'backup', name: '-n given twice: the last value, not a namespace', argv: ['backup', 'demo', ...kc, ...to, '-n', 'clusters', '-n', 'Bad_NS!', '--online'], code: 2, error: /invalid --namespace "Bad_NS!"/, hint: /get namespaces/ },
    { command: 'resume', name: 'unknown flags named once, as typed', argv: ['resume', 'demo', '-n', 'clusters', ...kc, '--bogus-flag', 'x', '--other-flag', 'y'], code: 2, error: /^error: unknown flags: --bogus-flag, --other-flag$/, hint: /resume --help/ },
    // negative durations and counts
    { command: 'backup prune', name: '--keep-within negative', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-within', '-1d'], code: 2, error: /invalid --keep-within "-1d": a span cannot be negative/, hint: /7d/ },
    { command: 'backup prune', name: '--incomplete-grace negative', argv: ['backup', 'prune', '--from', ctx.backupRoot, ...s3, '--keep-last', '3', '--incomplete-grace', '-1h'], code: 2, error: /"-1h".*cannot be negative/, hint: /30s, 5m/ },
    { command: 'backup', name: '--all: --concurrency negative', argv: ['backup', '--all', ...kc, ...to, '--concurrency', '-2'], code: 2, error: /invalid --concurrency "-2"/, hint: /default is 4/ },
    // malformed label selectors, refused before any request
    { command: 'backup', name: '--all: a selector with an unclosed set', argv: ['backup', '--all', ...kc, ...to, '-l', 'env in (prod'], code: 2, error: /invalid --selector \(-l\) "env in \(prod": a "\(" is not closed/, hint: /-l env=prod/ },
    { command: 'backup', name: '--all: a selector with an empty requirement', argv: ['backup', '--all', ...kc, ...to, '-l', 'env=prod,,tier=db'], code: 2, error: /an empty requirement/, hint: /-l env=prod/ },
    { command: 'backup', name: '--all: a selector key with a space', argv: ['backup', '--all', ...kc, ...to, '-l', 'my env=prod'], code: 2, error: /"my env" is not a label key/, hint: /-l env=prod/ },
    { command: 'schedule', name: '--all: a selector value too long', argv: ['schedule', '--all', ...schedTo, '--image', 'ghcr.io/o/hcp-dr:1', '--s3-secret', 's3', '--every', '@daily', '-l', `env=${'v'.repeat(64)}`, '--stdout'], code: 2, error: /is not a label value/, hint: /-l env=prod/ },
    // paths on the kernel's virtual file systems
    { command: 'export', name: '--out under /proc', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--out', '/proc/hcp-dr-corpus/out'], code: 2, error: /--out \/proc\/hcp-dr-corpus\/out is on the kernel's proc file system/, hint: /--out \.\/out/ },
    { command: 'export', name: '--diff under /sys', argv: ['export', 'demo', '-n', 'clusters', ...kc, '--diff', '/sys/kernel'], code: 2, error: /--diff \/sys\/kernel is on the kernel's sysfs file system/, hint: /--diff \.\/out/ },
    { command: 'schedule', name: '--out under /proc', argv: [...sched, '--every', '@daily', '--out', '/proc/self/hcp-dr'], code: 2, error: /is on the kernel's proc file system/, hint: /--out \.\/out/ },
    // conflicting sources and empty values
    { command: 'render', name: '--from-backup with --snapshot-url', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.backupUrl, ...s3, '--snapshot-url', 'https://a/s.db', '--no-validate'], code: 2, error: /either --from-backup or --snapshot-url, not both/, hint: /drop --snapshot-url/ },
    { command: 'move', name: '--dns-server empty', argv: ['move', 'demo', '-n', 'clusters', ...kc, '--to-context', 'other', '--via', `s3://${ctx.bucket}/moves`, ...s3, '--dns-server', '', '--yes'], code: 2, error: /--dns-server needs a value/, hint: /system resolver/ },
    { command: 'backup list', name: '--region not a region', argv: ['backup', 'list', '--from', ctx.backupRoot, ...s3, '--region', 'no such region!'], code: 2, error: /invalid --region "no such region!"/, hint: /--region us-east-1/ },
    { command: 'backup', name: 'a 100,000-byte prefix', argv: ['backup', 'demo', '-n', 'clusters', ...kc, '--to', `s3://${ctx.bucket}/${'p'.repeat(100_000)}`, ...s3, '--online'], code: 2, error: /the prefix of --to is 100000 bytes, S3 allows at most 1024/, hint: /shorten the prefix of --to/ },
    // broken CA bundles: the file's fault, named as such
    { command: 'backup list', name: '--ca-bundle with an invalid base64 block', argv: ['backup', 'list', '--from', ctx.backupRoot, '--endpoint', ctx.endpoint.replace('http:', 'https:'), '--path-style', '--ca-bundle', f('bad-base64-ca.pem')], code: 2, error: /invalid --ca-bundle .*bad-base64-ca\.pem: certificate 1 of 1 is not a valid certificate/, hint: /PEM/ },
    { command: 'backup verify', name: '--ca-bundle that is not DER', argv: ['backup', 'verify', ctx.backupUrl, '--endpoint', ctx.endpoint.replace('http:', 'https:'), '--path-style', '--ca-bundle', f('not-a-cert.pem')], code: 2, error: /invalid --ca-bundle .*not-a-cert\.pem/, hint: /PEM/ },
    // an object missing from a backup: named, with the command that checks the backup
    { command: 'render', name: 'a backup whose key Secret object is missing', argv: ['render', '-f', f('one-cluster.yaml'), '--from-backup', ctx.damagedBackupUrl, ...s3, '--no-validate'], code: 3, error: /encryption-key.*missing|missing from the backup/, hint: /backup (verify|list --from) s3:\/\/[\w.-]+\/corpus(\/clusters\/demo\/\w+-dddddd\/)?"/ },
    { command: 'global', name: 'restore -n that is no namespace, refused in --dry-run before any read', argv: ['restore', ctx.backupUrl, ...s3, ...kc, '-n', 'Bad_NS!', '--dry-run'], code: 2, error: /invalid --namespace "Bad_NS!"/, hint: /get namespaces/ },
    { command: 'etcd restore', name: 'a namespace that is no namespace, before any read', argv: ['etcd', 'restore', 'demo', '-n', 'Bad_NS!', ...kc, '--from-member', 'etcd-0', '--dry-run'], code: 2, error: /invalid --namespace "Bad_NS!"/, hint: /get namespaces/ },

    // --- version ---
    { command: 'version', name: 'an extra argument', argv: ['version', 'extra'], code: 2, error: /unknown argument: extra/, hint: /--help/ },
  ];
  return cases;
}
