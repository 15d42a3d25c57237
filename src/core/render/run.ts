/**
 * The `render` workflow: restore inputs (from a backup, or URL and key given directly) →
 * pure render → offline validation → text. Notices go to the reporter (stderr); the
 * returned text is the product (stdout). Nothing is printed when validation fails.
 * With `backup.stage` (--stage-snapshot) an encoded snapshot is staged decoded for its URL
 * (stage.ts), once the output is valid: nothing is written to the bucket before.
 */
import { UsageError } from '../errors.ts';
import { systemClock, type Clock, type ObjectStore, type Reporter } from '../ports.ts';
import { redactUrl } from '../redact.ts';
import {
  assertValid,
  buildRegistry,
  customKinds,
  validateManifests,
  validationNotes,
  type CrdSource,
  type ValidationReport,
} from './check.ts';
import { formatManifests, parseManifests, type ManifestFormat } from '../objects/documents.ts';
import type { KeySource } from './encryption.ts';
import type { RestoreFacts } from './facts.ts';
import { readBackupInputs, type StagingPlan } from './from-backup.ts';
import { stagePlan, stagingRun, type StageSource } from './stage.ts';
import { renderRestore, type RequiredSecret } from './render.ts';
import { checkSnapshotUrl, MAX_SNAPSHOT_URL_LENGTH, temporaryCredentialSource } from '../controlplane/snapshot-url.ts';

export interface RenderRequest {
  input: { text: string; source: string };
  backup?: {
    store: ObjectStore;
    prefix: string;
    openBucket(bucket: string): Promise<ObjectStore>;
    /** --stage-snapshot: the backup's store as stored (not decoding) and the identities to decode it with. */
    stage?: StageSource;
  };
  snapshotUrl?: string;
  expiresInSeconds: number;
  key?: KeySource;
  includeSecrets: boolean;
  force: boolean;
  format: ManifestFormat;
  /** undefined = --no-validate. */
  crds?: CrdSource;
  env: Record<string, string | undefined>;
}

export interface RenderOutcome {
  text: string;
  requiredSecrets: RequiredSecret[];
  validation?: ValidationReport;
}

export async function runRender(req: RenderRequest, deps: { reporter: Reporter; clock?: Clock }): Promise<RenderOutcome> {
  const { reporter } = deps;
  let snapshotUrl = req.snapshotUrl;
  let key = req.key;
  let facts: RestoreFacts | undefined;
  let staging: StagingPlan | undefined;
  // Fail on bad input or a bad URL before any object store request.
  parseManifests(req.input.text, req.input.source);
  if (snapshotUrl !== undefined) checkSnapshotUrl(snapshotUrl);
  const backup = req.backup;
  if (backup) {
    const presign = snapshotUrl === undefined;
    const temporary = presign ? temporaryCredentialSource(req.env) : undefined;
    const inputs = await readBackupInputs({
      store: backup.store,
      prefix: backup.prefix,
      ...(presign ? { expiresInSeconds: req.expiresInSeconds } : {}),
      ...(key ? { givenKey: key } : {}),
      openBucket: (bucket) => backup.openBucket(bucket),
      ...(presign && backup.stage ? { stage: stagingRun((deps.clock ?? systemClock).now()) } : {}),
    });
    facts = inputs.facts;
    staging = inputs.staging;
    if (backup.stage && presign && !staging) reporter.info('nothing to stage (--stage-snapshot): the backup stores its snapshot plain');
    if (key?.type === 'reference' && inputs.manifest.encryption.type === 'aescbc') {
      reporter.warn(
        `Secret ${key.secretName} (--encryption-key-secret) is not checked against the backup: it must hold the key the backup stored at ${inputs.manifest.encryption.keyUrl}`,
      );
    }
    key ??= inputs.key;
    if (inputs.snapshotUrl !== undefined) {
      snapshotUrl = inputs.snapshotUrl;
      if (temporary) {
        reporter.warn(
          `the snapshot URL is signed with temporary credentials (${temporary}): it stops working when that session expires, whatever --expires says`,
        );
      }
      if (snapshotUrl.length > MAX_SNAPSHOT_URL_LENGTH && temporary) {
        reporter.warn('session tokens lengthen pre-signed URLs past the CRD limit: sign with long-lived credentials');
      }
      reporter.info(`snapshot URL: ${redactUrl(snapshotUrl)} (valid ${humanSeconds(req.expiresInSeconds)})`);
    }
  }
  if (snapshotUrl === undefined)
    throw new UsageError('a snapshot URL is required: pass --from-backup s3://... or --snapshot-url https://...', {
      hint: '{cmd} render --help',
    });

  const result = renderRestore(req.input.text, req.input.source, {
    snapshotUrl,
    ...(key ? { key } : {}),
    ...(facts ? { facts } : {}),
    includeSecrets: req.includeSecrets,
    force: req.force,
  });
  for (const w of result.warnings) reporter.warn(w);

  const validation = await validateRendered(req.crds, result.objects, reporter);
  for (const s of result.requiredSecrets) {
    reporter.info(`Secret ${s.namespace ? `${s.namespace}/` : ''}${s.name} must exist before the HostedCluster is created: ${s.why}`);
  }
  if (staging && backup?.stage) await stagePlan(backup.stage, staging, reporter);
  return {
    text: formatManifests(result.objects, req.format),
    requiredSecrets: result.requiredSecrets,
    ...(validation ? { validation } : {}),
  };
}

/** The rendered objects against the HyperShift CRDs `crds` finds (undefined: --no-validate); throws when invalid. */
async function validateRendered(
  crds: RenderRequest['crds'],
  objects: ReturnType<typeof renderRestore>['objects'],
  reporter: Reporter,
): Promise<ValidationReport | undefined> {
  if (!crds) {
    reporter.warn('validation skipped (--no-validate): the output was not checked against the HyperShift CRDs');
    return undefined;
  }
  const source = await crds(customKinds(objects));
  if ('skipped' in source) {
    reporter.warn(
      `validation skipped: ${source.skipped}; pass --crd <file|dir> (e.g. saved "oc get crd -o yaml" output) to validate offline`,
    );
    return undefined;
  }
  const validation = validateManifests(objects, buildRegistry(source.crds));
  for (const note of validationNotes(validation)) reporter.warn(note);
  assertValid(validation, 'nothing was written; fix the input, or pass --no-validate to write it anyway');
  const checked = validation.objects.filter((o) => o.checked).length;
  reporter.info(`validated ${checked} object(s) against the CRDs from ${source.source}`);
  return validation;
}

function humanSeconds(seconds: number): string {
  if (seconds % 86400 === 0 && seconds > 86400) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
