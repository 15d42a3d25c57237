/**
 * `export`: a hosted cluster (live or from a backup) as a clean, Argo CD-ready manifest tree.
 * This module is the definition only; the handler (export-run.ts) is imported when it runs.
 */
import { decryptOption } from '../../codec-flags.ts';
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';

export const exportCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'export [hosted-cluster]',
    'Export a hosted cluster (live or from a backup) as a clean, deterministic, Argo CD-ready manifest tree',
    (c) =>
      c
        .positional('hosted-cluster', { type: 'string', describe: 'Name of the HostedCluster (live export)' })
        .option('from-backup', {
          type: 'string',
          describe: 'Export from a backup bundle instead: s3://<bucket>/<prefix>/<namespace>/<name>/<backup-id>/',
        })
        .options(s3ReadOptions)
        .options(decryptOption)
        .option('out', { type: 'string', describe: 'Export root; the tree goes to <out>/<namespace>/<name>/' })
        .option('stdout', { type: 'boolean', describe: 'Write the objects as one multi-document YAML stream instead of a tree' })
        .option('diff', { type: 'string', describe: 'Show what re-exporting into this export root would change; exit 1 if anything would' })
        .option('force', {
          type: 'boolean',
          describe: 'Replace the cluster directory even when --out holds something that is not a previous export',
        })
        .option('with-control-plane', {
          type: 'boolean',
          describe: 'Also export the control-plane namespace objects a move carries (HostedControlPlane, CAPI/CAPA objects, PKI Secrets)',
        })
        .option('keep-restore-url', {
          type: 'boolean',
          describe: 'Keep spec.etcd.managed.storage.restoreSnapshotURL (a signed, expiring URL: never commit it)',
        })
        .option('secrets', {
          type: 'string',
          default: 'omit',
          describe: 'Secrets: omit (list them in secrets-required.yaml) | sealed | external | plain',
        })
        .option('cert', { type: 'string', describe: 'sealed-secrets controller certificate (kubeseal --fetch-cert) for --secrets sealed' })
        .option('secret-store', { type: 'string', describe: 'External Secrets Operator store for --secrets external' })
        .option('secret-store-kind', { type: 'string', default: 'SecretStore', describe: 'SecretStore or ClusterSecretStore' })
        .option('argocd-app', { type: 'string', describe: 'Also write an Argo CD Application for this git repository URL' })
        .option('argocd-path', {
          type: 'string',
          describe: 'Path of the cluster directory in that repository (default: <namespace>/<name>)',
        })
        .example('$0 export demo -n clusters --out ./gitops', 'Live export to ./gitops/clusters/demo/')
        .example('$0 export --from-backup s3://backups/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --out ./gitops', 'Export a backup')
        .example(
          '$0 export demo -n clusters --secrets sealed --cert sealed-secrets.pem --out ./gitops --argocd-app https://git.example.com/gitops.git',
          'Sealed Secrets and an Argo CD Application',
        )
        .example('$0 export demo -n clusters --diff ./gitops', 'What changed since the last export (exit 1 if anything)'),
    async (args) => {
      const { exportCmd } = await import('./export-run.ts');
      done(await exportCmd(args, deps));
    },
  );
