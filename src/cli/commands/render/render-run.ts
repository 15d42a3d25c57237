/** The handler of `render` (loaded on demand: YAML, key parsing, validation, URL signing). */
import { keyringOf } from '../../codec-flags.ts';
import { openEncodedBackup, plainStore } from '../../../core/bundle/encoded.ts';
import type { CliDeps } from '../../deps.ts';
import { parseDuration, type GlobalArgs } from '../../global-flags.ts';
import { parseOutputFormat } from '../../output.ts';
import { s3TargetOf, type S3Args } from '../../s3-flags.ts';
import { checkCrdPath, crdSourceOf, readBytes, readInput, rejectRepeated } from '../../input.ts';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import { parseKeyMaterial, type KeySource } from '../../../core/render/encryption.ts';
import { runRender, type RenderRequest } from '../../../core/render/run.ts';
import { DEFAULT_URL_EXPIRY_SECONDS, MAX_URL_EXPIRY_SECONDS } from '../../../core/controlplane/snapshot-url.ts';

export interface RenderArgs extends GlobalArgs, S3Args {
  'from-backup'?: string;
  'decrypt-with'?: string;
  'stage-snapshot'?: boolean;
  filename?: string;
  expires?: string;
  'snapshot-url'?: string;
  'encryption-key-secret'?: string;
  'encryption-key-file'?: string;
  'include-secrets'?: boolean;
  force?: boolean;
  validate: boolean;
  crd?: string;
}

/** Rejects repeated --snapshot-url first: the three-URL mistake of the documented scripts. */
function single(args: RenderArgs): void {
  const snapshotUrls = args['snapshot-url'] as unknown;
  if (Array.isArray(snapshotUrls)) {
    throw new UsageError(
      `--snapshot-url given ${snapshotUrls.length} times: restoreSnapshotURL takes exactly one URL, used by every etcd member`,
      { hint: 'pass --snapshot-url once' },
    );
  }
  rejectRepeated(args);
}

export async function render(args: RenderArgs, deps: CliDeps): Promise<number> {
  single(args);
  const format = parseOutputFormat(args.output ?? 'yaml', ['yaml', 'json']) as 'yaml' | 'json';
  const backupUrl = args['from-backup'];
  const snapshotUrl = args['snapshot-url'];
  if (backupUrl === undefined && snapshotUrl === undefined) {
    throw new UsageError('pass --from-backup s3://... or --snapshot-url https://...', { hint: '{cmd} render --help' });
  }
  if (backupUrl !== undefined && snapshotUrl !== undefined) {
    throw new UsageError('pass either --from-backup or --snapshot-url, not both: each names the snapshot to restore', {
      hint: 'drop --snapshot-url to restore the backup (hcp-dr signs its URL), or drop --from-backup to use your URL',
    });
  }
  if (args['stage-snapshot'] && backupUrl === undefined)
    throw new UsageError('--stage-snapshot stages the snapshot of a backup: it needs --from-backup', {
      hint: 'pass --from-backup s3://... --stage-snapshot, or drop --stage-snapshot to use your --snapshot-url',
    });
  if (snapshotUrl !== undefined && args.expires !== undefined)
    throw new UsageError('--expires applies to URLs hcp-dr signs; it cannot change --snapshot-url', {
      hint: 'drop --expires, or use --from-backup and let hcp-dr sign the URL',
    });
  const expiresInSeconds = args.expires === undefined ? DEFAULT_URL_EXPIRY_SECONDS : parseDuration(args.expires, '--expires') / 1000;
  if (!(expiresInSeconds >= 1) || expiresInSeconds > MAX_URL_EXPIRY_SECONDS || !Number.isInteger(expiresInSeconds)) {
    throw new UsageError(`invalid --expires "${args.expires}": a pre-signed URL lives between 1s and 7d (whole seconds)`, {
      hint: 'the default, 24h, covers a restore',
    });
  }
  if (args['encryption-key-secret'] !== undefined && args['encryption-key-file'] !== undefined) {
    throw new UsageError('pass either --encryption-key-secret or --encryption-key-file, not both', {
      hint: '--encryption-key-file for key material in hand, --encryption-key-secret for a Secret created separately',
    });
  }
  let key: KeySource | undefined;
  if (args['encryption-key-secret'] !== undefined) {
    const name = args['encryption-key-secret'].trim();
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
      throw new UsageError(`invalid --encryption-key-secret "${name}": not a Secret name`, {
        hint: 'a Secret name is lower-case letters, digits, "-" and "." (e.g. demo-etcd-encryption-key)',
      });
    key = { type: 'reference', secretName: name };
  } else if (args['encryption-key-file'] !== undefined) {
    key = parseKeyMaterial(await readBytes(args['encryption-key-file'], deps, '--encryption-key-file'), args['encryption-key-file']);
  }
  const file = args.filename ?? '-';
  if (file === '-' && deps.interactive)
    throw new UsageError('no input: pass -f <file> or pipe "hypershift create cluster ... --render" into it', {
      hint: 'hypershift create cluster <platform> ... --render > rendered.yaml; {cmd} render -f rendered.yaml ...',
    });

  const target = backupUrl !== undefined ? s3TargetOf(backupUrl, args, '--from-backup') : undefined;
  if (args.validate) await checkCrdPath(args.crd);
  const input = await readInput(file, deps, '-f');
  const request: RenderRequest = {
    input,
    expiresInSeconds,
    includeSecrets: args['include-secrets'] ?? false,
    force: args.force ?? false,
    format,
    env: deps.env,
    ...(snapshotUrl !== undefined ? { snapshotUrl } : {}),
    ...(key ? { key } : {}),
    ...(args.validate ? { crds: crdSourceOf(args, deps) } : {}),
  };
  if (target) {
    const opened = await deps.openObjectStore(target);
    const keyring = await keyringOf(args);
    request.backup = {
      store: await openEncodedBackup(opened.store, opened.prefix, keyring),
      prefix: opened.prefix,
      openBucket: async (bucket) => plainStore((await deps.openObjectStore({ ...target, url: `s3://${bucket}` })).store, keyring),
      ...(args['stage-snapshot'] ? { stage: { store: opened.store, keyring } } : {}),
    };
  }
  const outcome = await runRender(request, { reporter: deps.reporter, clock: deps.clock });
  deps.stdout.write(outcome.text);
  return ExitCode.ok;
}
