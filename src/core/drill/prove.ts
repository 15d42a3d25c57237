/**
 * The drill's proofs on the restored keyspace and the bundle: keys per resource type against
 * backup.json's key count, a sample of Secrets decrypted with the bundle's AES-CBC key, and the
 * carried CA and service-account key pairs. Values are only decrypted in memory, never shown.
 */
import { lastLine } from '../etcd/restore-helpers.ts';
import { countKeysByType, keysText, SECRET_PREFIXES, valuesOf } from './data.ts';
import { AESCBC_PREFIX, caMatches, decryptAescbc, keyNameOf, keyPairMatches, KMS_PREFIX } from './keys.ts';
import type { DrillState, RestoredReads } from './steps.ts';

/** How many Secrets are decrypted. */
export const SECRET_SAMPLE = 20;

/** The Secret sample's reads, one per prefix, for steps.ts readRestored. */
export function secretReads(): Record<string, readonly string[]> {
  return Object.fromEntries(
    SECRET_PREFIXES.map((prefix, i) => [`secrets${i}`, ['get', prefix, '--prefix', `--limit=${SECRET_SAMPLE}`, '-w', 'json']]),
  );
}

export function checkKeys(s: DrillState, reads: RestoredReads | undefined): void {
  if (s.broken || !reads) return;
  const r = reads['keys'];
  if (r?.exitCode !== 0) {
    s.checks.set('keys-per-type', 'fail', `listing the keys failed: ${lastLine(r?.stderr ?? '') || 'no answer'}`);
    return;
  }
  const { total, byType } = countKeysByType(r.stdout);
  s.keysByType = byType;
  // backup.json's totalKeys counts every entry (3.4/3.5) or live keys (3.6): live keys never exceed it.
  const ok = total > 0 && total <= s.manifest.snapshot.totalKeys;
  s.checks.set(
    'keys-per-type',
    ok ? 'pass' : 'fail',
    `${total} keys (${keysText(byType)}); backup.json records ${s.manifest.snapshot.totalKeys}`,
  );
}

export function checkSecrets(s: DrillState, reads: RestoredReads | undefined): void {
  const enc = s.manifest.encryption?.type ?? 'none';
  if (enc === 'kms') {
    s.checks.set('secrets-decrypt', 'skipped', 'KMS-encrypted (k8s:enc:kms:): the key stays in the KMS, not checkable offline');
    return;
  }
  if (s.broken || !reads) return;
  // The first SECRET_SAMPLE Secrets in prefix order, as one read after the other would give them.
  const sample = SECRET_PREFIXES.flatMap((_p, i) => {
    const r = reads[`secrets${i}`];
    return r?.exitCode === 0 ? valuesOf(r.stdout) : [];
  }).slice(0, SECRET_SAMPLE);
  const aescbc = sample.filter((v) => v.value.subarray(0, AESCBC_PREFIX.length).toString('latin1') === AESCBC_PREFIX);
  const kms = sample.filter((v) => v.value.subarray(0, KMS_PREFIX.length).toString('latin1') === KMS_PREFIX).length;
  const plain = sample.length - aescbc.length - kms;
  const notes = [kms ? `${kms} KMS-encrypted (not checkable offline)` : '', plain ? `${plain} not encrypted` : ''].filter(Boolean);
  if (aescbc.length === 0) {
    const why =
      sample.length === 0 ? 'no Secret in the restored data' : `no aescbc-encrypted Secret among ${sample.length} (${notes.join(', ')})`;
    s.checks.set('secrets-decrypt', enc === 'aescbc' ? 'fail' : 'skipped', `${why}; the backup's encryption is ${enc}`);
    return;
  }
  const key = s.bundle?.aescbcKey;
  if (!key) {
    s.checks.set(
      'secrets-decrypt',
      'fail',
      `${aescbc.length} aescbc Secrets but no key to decrypt them: ${s.bundle?.keyProblem ?? 'not read'}`,
    );
    return;
  }
  const failed = aescbc.map((v) => ({ v, r: decryptAescbc(v.value, key) })).filter((x) => !x.r.ok);
  const names = [...new Set(aescbc.map((v) => keyNameOf(v.value) ?? '?'))].join(', ');
  if (failed.length === 0)
    s.checks.set(
      'secrets-decrypt',
      'pass',
      `${aescbc.length} of ${aescbc.length} sampled aescbc Secrets (key ${names}) decrypt with the bundle's key${notes.length ? `; ${notes.join(', ')}` : ''}`,
    );
  else {
    const first = failed[0]!;
    const why = first.r.ok ? '' : first.r.why;
    s.checks.set(
      'secrets-decrypt',
      'fail',
      `${failed.length} of ${aescbc.length} sampled aescbc Secrets do not decrypt with the bundle's key (${first.v.key}: ${why})`,
    );
  }
}

/** Bundle-only: runs whatever the snapshot did. */
export function checkKeyPairs(s: DrillState): void {
  const cas = s.bundle?.cas ?? [];
  if (cas.length === 0) s.checks.set('ca-keypairs', 'skipped', 'the backup carries no CA Secret');
  else {
    const bad = cas.flatMap((c) => {
      if (c.problem) return [`${c.name}: ${c.problem}`];
      const m = caMatches(c.cert!, c.key!);
      return m.ok ? [] : [`${c.name}: ${m.why}`];
    });
    s.checks.set(
      'ca-keypairs',
      bad.length ? 'fail' : 'pass',
      bad.length ? bad.join('; ') : `${cas.length} CA certificates match their private keys (${cas.map((c) => c.name).join(', ')})`,
    );
  }
  const sa = s.bundle?.serviceAccount;
  if (!sa) s.checks.set('sa-keypair', 'skipped', 'the backup carries no sa-signing-key');
  else if (sa.problem) s.checks.set('sa-keypair', 'fail', `sa-signing-key: ${sa.problem}`);
  else {
    const m = keyPairMatches(sa.privateKey!, sa.publicKey!);
    s.checks.set(
      'sa-keypair',
      m.ok ? 'pass' : 'fail',
      m.ok ? 'service-account.pub is the public key of service-account.key' : `sa-signing-key: ${m.why}`,
    );
  }
}
