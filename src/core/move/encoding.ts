/**
 * A move's backup stored compressed and/or encrypted (--compress, --encrypt-to): the destination's
 * restore reads it with the move's --decrypt-with identity and stages a decoded copy for etcd-init
 * (bundle/staging.ts). Checked before the first change: an identity must open one of the recipients,
 * or the move would freeze the source and back it up only to fail at the restore.
 */
import { PreconditionError } from '../errors.ts';
import type { Keyring } from '../crypto/age-keys.ts';
import type { PreflightCheck } from '../contracts/restore.ts';
import type { MoveRequest } from './types.ts';

/** The preflight row of the encoding (undefined for a plain backup); throws when no identity opens it. */
export function checkDecryptable(req: MoveRequest, keyring: Keyring | undefined): PreflightCheck | undefined {
  const recipients = req.codec?.recipients ?? [];
  const compress = req.codec?.compress;
  if (!compress && recipients.length === 0) return undefined;
  if (recipients.length > 0 && !keyring?.recipients.some((r) => recipients.includes(r)))
    throw new PreconditionError(
      `failed to move "${req.namespace}/${req.name}": its backup would be encrypted to ${recipients.join(', ')} and ${keyring ? `the identity ${keyring.source} (${keyring.recipients.join(', ')}) is none of them` : 'no identity was given'}, so the destination could not restore it`,
      { hint: 'pass --decrypt-with <identity file> of one of the --encrypt-to recipients (or HCP_DR_AGE_IDENTITY); nothing was changed' },
    );
  const form = [compress ? `${compress}-compressed` : '', recipients.length ? `age-encrypted to ${recipients.join(', ')}` : '']
    .filter(Boolean)
    .join(', then ');
  return {
    name: 'backup encoding',
    ok: true,
    detail: `stored ${form}; the destination's restore stages a decoded (plaintext) copy for etcd-init and deletes it once the data is verified`,
  };
}
