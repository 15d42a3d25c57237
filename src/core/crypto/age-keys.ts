/**
 * age recipients (public keys, `age1...`) and identities (private keys, `AGE-SECRET-KEY-1...`):
 * parsed and checked before any change. An identity file is a secret: its text is never put into
 * an error message; only the recipients derived from it are named.
 * Files follow age's own format: one key per line, `#` comments and blank lines ignored.
 */
import { readFile } from 'node:fs/promises';
import { PreconditionError, UsageError } from '../errors.ts';

/** An identity file's keys and the recipients they answer to. */
export interface Keyring {
  identities: string[];
  recipients: string[];
  /** Where it came from, for messages (a path or the environment variable's name). */
  source: string;
}

export const IDENTITY_ENV = 'HCP_DR_AGE_IDENTITY';

const keyLines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

/** --encrypt-to values and --encrypt-to-file contents: checked X25519 (or hybrid) recipients, de-duplicated. */
export async function loadRecipients(values: readonly string[], files: readonly string[]): Promise<string[]> {
  const all = [...values];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`failed to read --encrypt-to-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'pass a file of age recipients, one "age1..." per line (age-keygen -y <identity> prints one)',
      });
    }
    all.push(...keyLines(text));
  }
  const unique = [...new Set(all.map((r) => r.trim()))];
  const { Encrypter } = await import('age-encryption');
  for (const r of unique) {
    try {
      new Encrypter().addRecipient(r);
    } catch {
      throw new UsageError(`failed to use age recipient "${r.slice(0, 80)}": not an age public key`, {
        hint: 'pass an X25519 recipient "age1..." (age-keygen -y <identity-file> prints it); ssh keys are not supported',
      });
    }
  }
  return unique;
}

/** The identity file of --decrypt-with (or HCP_DR_AGE_IDENTITY); undefined when neither is given. */
export async function loadKeyring(path: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Keyring | undefined> {
  const file = path ?? env[IDENTITY_ENV];
  if (!file) return undefined;
  const source = path ? file : `${IDENTITY_ENV}=${file}`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `failed to read the age identity file ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        hint: 'pass the file age-keygen wrote (--decrypt-with <file> or HCP_DR_AGE_IDENTITY=<file>)',
      },
    );
  }
  const identities = keyLines(text).filter((l) => l.toUpperCase().startsWith('AGE-SECRET-KEY-'));
  const recipients: string[] = [];
  const { identityToRecipient } = await import('age-encryption');
  for (const id of identities) {
    try {
      recipients.push(await identityToRecipient(id));
    } catch {
      throw new UsageError(`failed to read the age identity file ${source}: a line starting "AGE-SECRET-KEY-" is not a valid key`, {
        hint: 'pass the file age-keygen wrote, unchanged',
      });
    }
  }
  if (identities.length === 0) {
    throw new UsageError(`failed to read the age identity file ${source}: it holds no "AGE-SECRET-KEY-1..." line`, {
      hint: 'pass an age identity (age-keygen -o key.txt writes one), not a recipients file',
    });
  }
  return { identities, recipients, source };
}

/**
 * Refuses, before anything is read or changed, a keyring that cannot open a backup encrypted to
 * `recipients` (backup.json's list): none of its keys is one of them, or there is none.
 */
export function requireKeyFor(recipients: readonly string[], keyring: Keyring | undefined, what: string): void {
  if (!keyring) {
    throw new PreconditionError(`failed to read ${what}: it is encrypted (age) and no identity was given`, {
      hint: `pass the identity of one of its recipients: --decrypt-with <identity-file> (or ${IDENTITY_ENV}); nothing was changed`,
    });
  }
  if (!keyring.recipients.some((r) => recipients.includes(r))) {
    throw new PreconditionError(
      `failed to read ${what}: the identity ${keyring.source} (${keyring.recipients.join(', ')}) is not one of its recipients (${recipients.join(', ')})`,
      { hint: 'pass the identity file of one of the recipients listed (nothing was changed)' },
    );
  }
}
