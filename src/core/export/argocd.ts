/**
 * Argo CD conventions of the tree (peers.md §6): sync waves per kind, and
 * SkipDryRunOnMissingResource=true on HyperShift and Cluster API objects, whose CRDs usually
 * arrive with the HyperShift operator from another application.
 */
import type { KubeObject } from '../model.ts';
import { knownKindOf } from '../objects/kinds.ts';
import { ARGOCD_APPLICATION_TEMPLATE } from './templates.ts';

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
export const SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';
export const SKIP_DRY_RUN = 'SkipDryRunOnMissingResource=true';

/** Waves of the objects that stand in for Secrets (SealedSecret, ExternalSecret). */
const SECRET_WAVE = -2;

/** A copy of `obj` with its wave and, for CRs, the skip-dry-run option merged into what the user set. */
export function withArgoAnnotations(obj: KubeObject): KubeObject {
  const known = knownKindOf(obj);
  const wave = known ? known.wave : obj.kind === 'SealedSecret' || obj.kind === 'ExternalSecret' ? SECRET_WAVE : undefined;
  const annotations: Record<string, string> = { ...(obj.metadata.annotations ?? {}) };
  if (wave !== undefined) annotations[SYNC_WAVE] = String(wave);
  if (known?.skipDryRun) {
    const options = new Set(
      (annotations[SYNC_OPTIONS] ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    );
    options.add(SKIP_DRY_RUN);
    annotations[SYNC_OPTIONS] = [...options].sort().join(',');
  }
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}

/** The Application from templates/argocd-application.yaml with values YAML-quoted (JSON strings are YAML). */
export function renderApplication(values: { appName: string; repoURL: string; path: string }): string {
  return ARGOCD_APPLICATION_TEMPLATE.replace(/"\{\{(\w+)\}\}"/g, (whole, key: string) => {
    const value = (values as Record<string, string>)[key];
    return value === undefined ? whole : JSON.stringify(value);
  });
}
