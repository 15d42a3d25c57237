/**
 * Offline admission checks of manifests against CRDs, through the validator in
 * core/validate: every object whose apiVersion/kind a CRD serves is checked as
 * kube-apiserver would on create (or on update, given the stored object). Objects of
 * built-in kinds are counted, not checked. A HyperShift object without its CRD and every
 * rule the evaluator could not run are reported: nothing passes silently.
 */
import { PreconditionError } from '../errors.ts';
import type { KubeObject } from '../model.ts';
import { compileCrds, formatErrors, formatFieldError, lookupCrd, qualifiedKind, validateObject } from '../validate/index.ts';
import type { CrdRegistry, FieldError } from '../validate/index.ts';
import { describeObject, headlessDocument, parseManifests } from '../objects/documents.ts';

export interface ObjectCheck {
  /** `HostedCluster clusters/demo` */
  object: string;
  /** The validator had a CRD for it. */
  checked: boolean;
  /** Validated as an update against a stored object. */
  update: boolean;
  errors: FieldError[];
  notEvaluated: FieldError[];
  warnings: FieldError[];
  /** kube-apiserver's rejection text ('' when valid). */
  message: string;
}

export interface ValidationReport {
  valid: boolean;
  objects: ObjectCheck[];
  /** HyperShift objects that no CRD in the registry serves: not validated. */
  missingCrds: string[];
  /** Documents with metadata but no apiVersion or kind: kept, not validated. */
  withoutKind: string[];
}

/**
 * CRDs from texts (files as `oc get crd -o yaml` saves them: single objects or a List).
 * With `kinds`, a text that cannot define any of them (no `kind: <Kind>` in it) is not parsed:
 * the HyperShift CRDs are megabytes of YAML and parsing dominates a render's run time.
 */
export function crdsFromTexts(texts: readonly { text: string; source: string }[], kinds?: readonly string[]): object[] {
  const crds: object[] = [];
  const wanted = kinds?.map((k) => new RegExp(`\\bkind"?\\s*:\\s*"?${k.replace(/\W/g, '')}"?\\s*,?$`, 'm'));
  for (const { text, source } of texts) {
    if (wanted && !wanted.some((re) => re.test(text))) continue;
    for (const doc of parseManifests(text, source)) {
      const items = doc.kind === 'List' && Array.isArray(doc['items']) ? (doc['items'] as object[]) : [doc];
      for (const item of items) if ((item as KubeObject).kind === 'CustomResourceDefinition') crds.push(item);
    }
  }
  return crds;
}

/**
 * Where CRDs for validation come from, given the kinds to validate (a source may load only
 * those); `skipped` says why none could be loaded.
 */
export type CrdSource = (kinds: string[]) => Promise<{ crds: object[]; source: string } | { skipped: string }>;

/** Kinds of the objects a CRD may serve (not core v1). */
export function customKinds(objects: readonly KubeObject[]): string[] {
  return [...new Set(objects.filter((o) => (o.apiVersion ?? '').includes('/')).map((o) => o.kind ?? ''))].sort();
}

export function buildRegistry(crds: object[]): CrdRegistry {
  return compileCrds(crds);
}

/** The stored version of `obj`, when validating an update. */
export type OldLookup = (obj: KubeObject) => KubeObject | undefined;

export function validateManifests(objects: readonly KubeObject[], registry: CrdRegistry, oldOf?: OldLookup): ValidationReport {
  const report: ValidationReport = { valid: true, objects: [], missingCrds: [], withoutKind: [] };
  for (const obj of objects) {
    const object = describeObject(obj);
    if (headlessDocument(obj) !== undefined) report.withoutKind.push(object);
    const entry = lookupCrd(registry, obj.apiVersion, obj.kind);
    if (!entry) {
      if (/\.openshift\.io\//.test(obj.apiVersion ?? '') || /^hypershift\./.test(obj.apiVersion ?? ''))
        report.missingCrds.push(`${object} (${obj.apiVersion})`);
      report.objects.push({ object, checked: false, update: false, errors: [], notEvaluated: [], warnings: [], message: '' });
      continue;
    }
    const old = oldOf?.(obj);
    const result = validateObject(registry, obj, old ? { old } : {});
    const message = formatErrors(qualifiedKind(entry), obj.metadata.name ?? '', result.errors);
    if (result.errors.length > 0) report.valid = false;
    report.objects.push({
      object,
      checked: true,
      update: old !== undefined,
      errors: result.errors,
      notEvaluated: result.notEvaluated,
      warnings: result.warnings,
      message,
    });
  }
  return report;
}

/** Stderr lines for what was not fully checked (missing CRDs, rules not evaluated, pruned fields). */
export function validationNotes(report: ValidationReport): string[] {
  const notes = [
    ...report.withoutKind.map((d) => `not validated: ${d}`),
    ...report.missingCrds.map((m) => `not validated: no CRD serves ${m}`),
  ];
  for (const o of report.objects) {
    for (const e of o.notEvaluated) notes.push(`${o.object}: rule not evaluated: ${formatFieldError(e)}`);
    for (const w of o.warnings) notes.push(`${o.object}: ${formatFieldError(w)}`);
  }
  return notes;
}

/** Throws PreconditionError (exit 3) with kube-apiserver's messages when any object is invalid. */
export function assertValid(report: ValidationReport, hint: string): void {
  if (report.valid) return;
  const messages = report.objects.filter((o) => o.message !== '').map((o) => o.message);
  throw new PreconditionError(`failed to validate: ${messages.join('; ')}`, { hint });
}

/** Matches objects to the stored objects given with --old (same apiVersion, kind, namespace, name). */
export function oldLookupFrom(olds: readonly KubeObject[], defaultNamespace?: string): OldLookup {
  const key = (o: KubeObject) => `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? defaultNamespace ?? ''}|${o.metadata.name ?? ''}`;
  const index = new Map(olds.map((o) => [key(o), o]));
  return (obj) => index.get(key(obj));
}
