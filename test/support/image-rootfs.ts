/**
 * A root file system laid out as Containerfile's image is: the single binary at
 * /usr/local/bin/kubectl-hcp_dr, the shared libraries it links (each must be one the image's base,
 * distroless cc-debian12, ships), the CA bundle, user and group 65532 (nonroot), a writable /tmp,
 * and a pod's service-account files. No shell, no other program. Run it with
 * `chroot --userspec=65532:65532 <dir> /usr/local/bin/kubectl-hcp_dr ...` (as root).
 */
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Libraries of distroless cc-debian12: glibc's, libgcc_s and libstdc++. */
export const IMAGE_BASE_LIBRARIES = [
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'librt.so.1',
  'libgcc_s.so.1',
  'libstdc++.so.6',
];

export interface ServiceAccountFiles {
  token: string;
  caCert: string;
  namespace: string;
}

export async function imageRootfs(dir: string, binary: string, sa: ServiceAccountFiles): Promise<{ dir: string; libraries: string[] }> {
  const ldd = spawnSync('ldd', [binary], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Error(`ldd ${binary}: ${ldd.stderr}`);
  const paths = [...ldd.stdout.matchAll(/(\/\S+\.so[.\d]*) \(0x/g)].map((m) => m[1] as string);
  await rm(dir, { recursive: true, force: true });
  for (const lib of paths) {
    await mkdir(path.join(dir, path.dirname(lib)), { recursive: true });
    await copyFile(lib, path.join(dir, lib));
  }
  await mkdir(path.join(dir, 'usr/local/bin'), { recursive: true });
  await copyFile(binary, path.join(dir, 'usr/local/bin/kubectl-hcp_dr'));
  await chmod(path.join(dir, 'usr/local/bin/kubectl-hcp_dr'), 0o555);
  await mkdir(path.join(dir, 'etc/ssl/certs'), { recursive: true });
  await copyFile('/etc/ssl/certs/ca-certificates.crt', path.join(dir, 'etc/ssl/certs/ca-certificates.crt'));
  await writeFile(
    path.join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n',
  );
  await writeFile(path.join(dir, 'etc/group'), 'root:x:0:\nnonroot:x:65532:\n');
  await mkdir(path.join(dir, 'home/nonroot'), { recursive: true });
  await chmod(path.join(dir, 'home/nonroot'), 0o777);
  await mkdir(path.join(dir, 'tmp'), { recursive: true });
  await chmod(path.join(dir, 'tmp'), 0o1777);
  const saDir = path.join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
  await mkdir(saDir, { recursive: true });
  await writeFile(path.join(saDir, 'token'), sa.token, { mode: 0o644 });
  await writeFile(path.join(saDir, 'ca.crt'), sa.caCert, { mode: 0o644 });
  await writeFile(path.join(saDir, 'namespace'), sa.namespace, { mode: 0o644 });
  return { dir, libraries: paths.map((p) => path.basename(p)) };
}
