/**
 * The CA trust store of a management cluster's etcd image (hypershift-domain.md §1.7): etcd-init
 * downloads the snapshot with the image's own curl, which trusts what the image was built with,
 * not the --ca-bundle hcp-dr was given. By default the store is the machine's system bundle only
 * (a public CA), so an S3 endpoint under a private CA (the sandbox's https front) is NOT trusted;
 * `add` puts a CA in, as an operator who builds or configures an image that trusts their internal CA.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where Debian-like systems keep the system CA bundle (what curl trusts when nothing else is set). */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export interface ImageTrustStore {
  /** The PEM bundle the image's curl uses (CURL_CA_BUNDLE in its pods). */
  readonly file: string;
  /** Adds the CA certificates of a PEM file (idempotent). */
  add(caFile: string): void;
  /** The extra CA files trusted beyond the system bundle. */
  readonly extra: readonly string[];
}

export function imageTrustStore(dir: string, extra: readonly string[] = [], system = SYSTEM_CA_BUNDLE): ImageTrustStore {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'etcd-image-ca-bundle.pem');
  const added: string[] = [];
  const write = () => {
    const parts = [existsSync(system) ? readFileSync(system, 'utf8') : '', ...added.map((f) => readFileSync(f, 'utf8'))];
    writeFileSync(file, parts.map((p) => (p.endsWith('\n') || p === '' ? p : `${p}\n`)).join(''));
  };
  const store: ImageTrustStore = {
    file,
    extra: added,
    add(caFile) {
      if (added.includes(caFile)) return;
      added.push(caFile);
      write();
    },
  };
  write();
  for (const f of extra) store.add(f);
  return store;
}
