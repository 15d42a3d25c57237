/**
 * The restore preflight's check of the control plane's identity: every CA Secret and the
 * service-account key either come from the backup or are already in the control-plane namespace
 * restored into; otherwise HyperShift generates new ones and the restore warns, naming them and
 * what that breaks (bundle/control-plane-secrets.ts). Reads only.
 */
import { Resources } from '../model.ts';
import { continuityGap, IDENTITY_SECRETS } from '../bundle/control-plane-secrets.ts';
import type { PreflightInput } from './preflight.ts';

export async function checkContinuity(
  input: Pick<PreflightInput, 'api' | 'bundle' | 'replace'>,
  cp: string,
  pass: (check: string, detail: string) => void,
  warnings: string[],
): Promise<void> {
  const { bundle } = input;
  const source = bundle.manifest.hostedCluster.controlPlaneNamespace;
  const inBackup = new Set(
    bundle.objects
      .filter((o) => o.object.kind !== 'ConfigMap' && o.object.metadata.namespace === source)
      .map((o) => o.object.metadata.name ?? ''),
  );
  const have = new Set(inBackup);
  // In place, what survives in the control-plane namespace is kept by HyperShift; --replace deletes it.
  if (!input.replace) {
    const absent = IDENTITY_SECRETS.filter((n) => !inBackup.has(n));
    const live = await Promise.all(absent.map((n) => input.api.get(Resources.secret, cp, n).catch(() => undefined)));
    absent.forEach((n, i) => live[i] && have.add(n));
  }
  const gap = continuityGap(have, cp);
  const carried = IDENTITY_SECRETS.filter((n) => inBackup.has(n)).length;
  const others = [...inBackup].filter((n) => !IDENTITY_SECRETS.includes(n)).length;
  if (!gap) {
    pass(
      'identity',
      `${carried} of ${IDENTITY_SECRETS.length} CAs and the service-account key from the backup${carried < IDENTITY_SECRETS.length ? ', the rest already in ' + cp : ''}; ${others} other control-plane Secrets`,
    );
    return;
  }
  pass(
    'identity',
    `${carried} of ${IDENTITY_SECRETS.length} CAs and the service-account key from the backup; HyperShift generates ${gap.missing.length}`,
  );
  warnings.push(gap.warning);
}
