/**
 * `render`: restore-ready manifests from `hypershift create cluster --render` output.
 * Flags in, one core call (runRender), manifests out on stdout. Notices on stderr.
 * This module is the definition only; the handler (render-run.ts) is imported when it runs.
 */
import { decryptOption } from '../../codec-flags.ts';
import type { CommandRegistrar } from '../../index.ts';
import { s3ReadOptions } from '../../s3-flags.ts';

export const renderCommand: CommandRegistrar = (y, deps, done) =>
  y.command(
    'render',
    'Turn "hypershift create cluster --render" output into restore-ready manifests (snapshot URL, original encryption key), validated offline',
    (c) =>
      c
        .option('from-backup', { type: 'string', describe: 'The backup to restore: s3://<bucket>/<prefix>/<namespace>/<name>/<id>/' })
        .options(decryptOption)
        .option('stage-snapshot', {
          type: 'boolean',
          describe:
            'For a compressed/encrypted backup: write a decoded (PLAINTEXT) copy of the snapshot into the bucket for the URL; "backup prune" deletes it once the URL expires',
        })
        .option('filename', { alias: 'f', type: 'string', describe: 'The render output to edit (default: stdin); - for stdin' })
        .option('expires', { type: 'string', describe: 'Life of the pre-signed snapshot URL (default 24h, at most 7d)' })
        .option('snapshot-url', { type: 'string', describe: 'Use this https:// snapshot URL instead of pre-signing one' })
        .option('encryption-key-secret', {
          type: 'string',
          describe: 'Name of an existing Secret holding the ORIGINAL etcd encryption key (data.key)',
        })
        .option('encryption-key-file', {
          type: 'string',
          describe: 'The ORIGINAL etcd encryption key: a Secret manifest, the base64 key, or the raw key',
        })
        .option('include-secrets', {
          type: 'boolean',
          describe: 'Write Secrets (the original key, and those in the input); by default they are only named on stderr',
        })
        .option('force', { type: 'boolean', describe: 'Replace a restoreSnapshotURL the input already has' })
        .option('validate', {
          type: 'boolean',
          default: true,
          describe: 'Validate the output against the HyperShift CRDs (--no-validate to skip)',
        })
        .option('crd', { type: 'string', describe: "CRD file or directory for validation (default: the cluster's CRDs)" })
        .options(s3ReadOptions)
        .example(
          '$0 render -f rendered.yaml --from-backup s3://backups/hcp/clusters/demo/<id>/ --crd crds/ > restore.yaml',
          'Restore manifests from a backup (URL valid 24h)',
        )
        .example(
          '$0 render -f rendered.yaml --from-backup s3://... --include-secrets | oc apply -f -',
          'Include the original key Secret and apply',
        )
        .example(
          '$0 render -f rendered.yaml --from-backup s3://... --decrypt-with key.txt --stage-snapshot > restore.yaml',
          'An encrypted backup: its snapshot staged decoded beside it for the URL',
        )
        .example(
          '$0 render -f rendered.yaml --snapshot-url "https://..." --encryption-key-secret demo-etcd-encryption-key',
          'With a URL and a key Secret held elsewhere',
        ),
    async (args) => {
      const { render } = await import('./render-run.ts');
      done(await render(args, deps));
    },
  );
