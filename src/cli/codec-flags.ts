/**
 * The client-side encoding flags: --compress and --encrypt-to/--encrypt-to-file on `backup`,
 * --decrypt-with (or HCP_DR_AGE_IDENTITY) on every reader of a backup. Keys are checked here,
 * before any connection: a bad recipient or identity file never gets as far as a change.
 */
import type { Options } from 'yargs';
import { UsageError } from '../core/errors.ts';
import type { Keyring } from '../core/crypto/age-keys.ts';
import type { Codec } from '../core/crypto/codec.ts';

export const encodeOptions = {
  compress: {
    type: 'string',
    choices: ['zstd', 'none'],
    describe: 'Compress every object of the backup (zstd, before encryption); backup.json records plain and compressed sizes',
  },
  'encrypt-to': {
    type: 'string',
    array: true,
    describe: 'Encrypt every object of the backup but backup.json to this age recipient (age1..., repeatable); any one identity decrypts',
  },
  'encrypt-to-file': {
    type: 'string',
    array: true,
    describe: 'Like --encrypt-to, for each recipient of this file (one per line, as age -R reads it)',
  },
} as const satisfies Record<string, Options>;

export const decryptOption = {
  'decrypt-with': {
    type: 'string',
    describe: 'age identity file (age-keygen output) to read an encrypted backup; default $HCP_DR_AGE_IDENTITY',
  },
} as const satisfies Record<string, Options>;

export interface EncodeArgs {
  compress?: string;
  'encrypt-to'?: string | string[];
  'encrypt-to-file'?: string | string[];
}

/** --compress and the recipients, checked; undefined when the backup is stored as written. */
export async function codecOf(args: EncodeArgs): Promise<Codec | undefined> {
  if (args.compress !== undefined && args.compress !== 'zstd' && args.compress !== 'none') {
    throw new UsageError(`invalid --compress "${args.compress}"`, { hint: 'pass --compress zstd' });
  }
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  // Loaded here, not with the command definitions: the age library only for commands that use it.
  const { loadRecipients } = await import('../core/crypto/age-keys.ts');
  const recipients = await loadRecipients(list(args['encrypt-to']), list(args['encrypt-to-file']));
  const compress = args.compress === 'zstd' ? ('zstd' as const) : undefined;
  if (!compress && recipients.length === 0) return undefined;
  return { ...(compress ? { compress } : {}), ...(recipients.length ? { recipients } : {}) };
}

/** --decrypt-with or HCP_DR_AGE_IDENTITY, read and checked; undefined when neither is given. */
export async function keyringOf(args: { 'decrypt-with'?: string }, env: NodeJS.ProcessEnv = process.env): Promise<Keyring | undefined> {
  if (args['decrypt-with'] === undefined && !env['HCP_DR_AGE_IDENTITY']) return undefined;
  const { loadKeyring } = await import('../core/crypto/age-keys.ts');
  return loadKeyring(args['decrypt-with'], env);
}
