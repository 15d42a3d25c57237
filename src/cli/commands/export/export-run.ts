/** The handler of `export` (loaded on demand: the export pipeline, sealing, diff). */
import { keyringOf } from '../../codec-flags.ts';
import { openEncodedBackup } from '../../../core/bundle/encoded.ts';
import { refuseVirtualFileSystem } from '../../paths.ts';
import { readFile } from 'node:fs/promises';
import type { CliDeps } from '../../deps.ts';
import { kubeTargetOf, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat, printData } from '../../output.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import { runExport, type ExportSource, type ExportTarget } from '../../../core/export/run-export.ts';
import { renderDiff } from '../../../core/export/diff.ts';
import type { ExportOptions, SecretsMode } from '../../../core/export/types.ts';
import { sealingKeyFromPem } from '../../../core/export/sealed.ts';
import { VERSION } from '../../../version.ts';

export interface ExportArgs extends GlobalArgs, S3Args {
  'hosted-cluster'?: string;
  'from-backup'?: string;
  'decrypt-with'?: string;
  out?: string;
  stdout?: boolean;
  diff?: string;
  force?: boolean;
  'with-control-plane'?: boolean;
  'keep-restore-url'?: boolean;
  secrets: string;
  cert?: string;
  'secret-store'?: string;
  'secret-store-kind': string;
  'argocd-app'?: string;
  'argocd-path'?: string;
}

const SECRETS_MODES: readonly SecretsMode[] = ['omit', 'sealed', 'external', 'plain'];

export async function exportCmd(args: ExportArgs, deps: CliDeps): Promise<number> {
  const format = parseOutputFormat(args.output);
  const name = args['hosted-cluster'];
  if ((name === undefined) === (args['from-backup'] === undefined)) {
    throw new UsageError('name a hosted cluster or pass --from-backup <s3-url>, not both', {
      hint: '{cmd} export <hosted-cluster> -n <namespace> --out <dir>',
    });
  }
  const targets = [args.out !== undefined, args.stdout === true, args.diff !== undefined].filter(Boolean).length;
  if (targets !== 1)
    throw new UsageError('pass exactly one of --out <dir>, --stdout or --diff <dir>', {
      hint: 'e.g. {cmd} export <hosted-cluster> -n <namespace> --out gitops',
    });
  for (const [flag, dir] of [
    ['--out', args.out],
    ['--diff', args.diff],
  ] as const)
    if (dir !== undefined) await refuseVirtualFileSystem(dir, flag);
  const options = await exportOptionsOf(args);
  const target: ExportTarget =
    args.out !== undefined
      ? { type: 'dir', root: args.out, force: args.force === true }
      : args.diff !== undefined
        ? { type: 'diff', root: args.diff }
        : { type: 'stdout' };
  let source: ExportSource;
  if (name !== undefined) {
    const session = await deps.connectKube(kubeTargetOf(args));
    source = { type: 'live', api: session.api, namespace: session.namespace, name };
  } else {
    const opened = await deps.openObjectStore(s3TargetOf(args['from-backup'] as string, args, '--from-backup'));
    source = { type: 'backup', store: await openEncodedBackup(opened.store, opened.prefix, await keyringOf(args)), prefix: opened.prefix };
  }
  const result = await runExport(source, target, options, deps.reporter);
  if (result.stream !== undefined) {
    deps.stdout.write(result.stream);
    return ExitCode.ok;
  }
  if (result.diff) {
    const diff = result.diff;
    await printData(deps.stdout, format, diff, () => renderDiff(diff));
    return diff.changes.length > 0 ? ExitCode.error : ExitCode.ok;
  }
  const summary = {
    directory: `${args.out}/${result.tree.clusterDir}`,
    files: result.tree.files.map((f) => f.path),
    warnings: result.tree.warnings,
  };
  await printData(
    deps.stdout,
    format,
    summary,
    () => `exported ${result.tree.clusterDir} to ${summary.directory} (${summary.files.length} files)\n`,
  );
  return ExitCode.ok;
}

async function exportOptionsOf(args: ExportArgs): Promise<ExportOptions> {
  const mode = args.secrets as SecretsMode;
  if (!SECRETS_MODES.includes(mode))
    throw new UsageError(`invalid --secrets "${args.secrets}": use one of ${SECRETS_MODES.join('|')}`, {
      hint: 'omit (the default) lists the Secrets that must exist without writing them',
    });
  if (mode === 'sealed' && args.cert === undefined)
    throw new UsageError('--secrets sealed needs --cert <sealed-secrets.pem>', {
      hint: 'fetch it with "kubeseal --fetch-cert > sealed-secrets.pem"',
    });
  if (mode !== 'sealed' && args.cert !== undefined)
    throw new UsageError('--cert is only used with --secrets sealed', { hint: 'add --secrets sealed, or drop --cert' });
  if (mode === 'external' && !args['secret-store'])
    throw new UsageError('--secrets external needs --secret-store <name>', {
      hint: 'name the External Secrets Operator SecretStore (or ClusterSecretStore with --secret-store-kind) that holds the values',
    });
  const kind = args['secret-store-kind'];
  if (kind !== 'SecretStore' && kind !== 'ClusterSecretStore')
    throw new UsageError(`invalid --secret-store-kind "${kind}": use SecretStore or ClusterSecretStore`, {
      hint: 'the default is SecretStore',
    });
  const options: ExportOptions = {
    secrets: mode,
    keepRestoreUrl: args['keep-restore-url'] === true,
    withControlPlane: args['with-control-plane'] === true,
    toolVersion: VERSION,
  };
  if (mode === 'sealed') {
    const path = args.cert as string;
    const certPem = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(
        `failed to read --cert "${path}": ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message}`,
        { hint: 'fetch the certificate with "kubeseal --fetch-cert > sealed-secrets.pem"' },
      );
    });
    sealingKeyFromPem(certPem, `"${path}"`); // refuse a bad certificate before reading the cluster
    options.sealed = { certPem };
  }
  if (mode === 'external') options.external = { store: args['secret-store'] as string, storeKind: kind };
  if (args['argocd-app'] !== undefined) options.argocdRepoUrl = gitRepoUrl(args['argocd-app']);
  if (args['argocd-path'] !== undefined) options.argocdPath = repoPath(args['argocd-path']);
  if (args['argocd-path'] !== undefined && args['argocd-app'] === undefined)
    throw new UsageError('--argocd-path needs --argocd-app <repo-url>', {
      hint: 'e.g. --argocd-app https://git.example.com/ops.git --argocd-path hosted-clusters',
    });
  return options;
}

/**
 * A repository URL Argo CD can clone: https://, http://, ssh:// or git:// with a host, or the
 * scp-like form git@host:org/repo.git.
 */
export function gitRepoUrl(value: string): string {
  const text = value.trim();
  const refuse = () =>
    new UsageError(`invalid --argocd-app "${value}": not a git repository URL`, {
      hint: 'pass the URL Argo CD clones, e.g. https://git.example.com/ops.git or git@git.example.com:ops.git',
    });
  if (/^[\w.-]+@[\w.-]+:[^\s/][^\s]*$/.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse();
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol) || url.hostname === '' || /\s/.test(text)) throw refuse();
  return text;
}

/** A path inside the repository: relative, no "..", no empty segment. */
function repoPath(value: string): string {
  const text = value.trim().replace(/\/+$/, '');
  if (text === '' || text.startsWith('/') || text.split('/').some((s) => s === '' || s === '..')) {
    throw new UsageError(`invalid --argocd-path "${value}": a relative path inside the repository, without ".."`, {
      hint: 'e.g. --argocd-path hosted-clusters/clusters/demo',
    });
  }
  return text;
}
