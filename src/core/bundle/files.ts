/**
 * The files backup.json names besides the snapshot: present (same bucket), and the encryption
 * key unchanged since the backup. Part of the one reader of a backup (check.ts).
 */
import { createHash } from 'node:crypto';
import { NotFoundError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { isRelativeKey, parseObjectUrl } from './layout.ts';
import type { BackupManifest } from './manifest.ts';
import { readText } from './read.ts';
import { decodes } from './encoded.ts';

interface FileCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The other files backup.json names: present (same bucket), and the encryption key unchanged. */
export async function fileChecks(
  store: ObjectStore,
  m: BackupManifest,
  at: (rel: string) => string,
  signal?: AbortSignal,
): Promise<FileCheck[]> {
  const wanted = [m.manifests.hostedCluster, ...m.manifests.nodePools].map((rel) => ({
    label: rel,
    key: isRelativeKey(rel) ? at(rel) : undefined,
  }));
  for (const s of m.secrets ?? []) wanted.push({ label: `secret ${s.namespace}/${s.name}`, key: keyInBucket(store, s.url) });
  for (const c of m.configMaps ?? []) wanted.push({ label: `configmap ${c.namespace}/${c.name}`, key: keyInBucket(store, c.url) });
  const missing: string[] = [];
  const elsewhere: string[] = [];
  for (const w of wanted) {
    if (w.key === undefined) elsewhere.push(w.label);
    else if (!(await store.head(w.key))) missing.push(`${w.label} (${store.url(w.key)})`);
  }
  const checks: FileCheck[] = [
    missing.length === 0
      ? {
          name: 'files',
          ok: true,
          detail: `${wanted.length - elsewhere.length} manifest, secret and configmap files present${elsewhere.length ? `; not checked (another bucket): ${elsewhere.join(', ')}` : ''}`,
        }
      : { name: 'files', ok: false, detail: `missing: ${missing.join(', ')}` },
  ];
  if (m.encryption?.type === 'aescbc') {
    const key = keyInBucket(store, m.encryption.keyUrl);
    if (key !== undefined) {
      let sha: string | undefined;
      try {
        sha = createHash('sha256')
          .update(await readText(store, key, signal))
          .digest('hex');
      } catch (err) {
        // Encrypted (age) and no identity: its stored bytes are checked instead (encoded.ts, "stored").
        if ((err as { code?: string }).code === 'HCPDR_ENCRYPTED') sha = m.encryption.keySha256;
        else if (!(err instanceof NotFoundError)) throw err;
      }
      // Read without decoding (a command that reads plain backups only): the stored bytes of an encoded backup.
      if (sha !== undefined && sha !== m.encryption.keySha256 && m.storage && !decodes(store))
        checks.push({
          name: 'storage',
          ok: false,
          detail: 'its objects are stored compressed or encrypted (backup --compress/--encrypt-to): this command reads plain backups only',
        });
      else
        checks.push(
          sha === m.encryption.keySha256
            ? { name: 'encryption-key', ok: true, detail: 'the encryption key secret matches its recorded SHA-256' }
            : {
                name: 'encryption-key',
                ok: false,
                detail:
                  sha === undefined
                    ? `the encryption key ${m.encryption.keyUrl} is missing`
                    : `the encryption key ${m.encryption.keyUrl} changed since the backup (SHA-256 differs)`,
              },
        );
    }
  }
  return checks;
}

function keyInBucket(store: ObjectStore, url: string): string | undefined {
  const location = parseObjectUrl(url);
  return location?.bucket === store.bucket ? location.key : undefined;
}
