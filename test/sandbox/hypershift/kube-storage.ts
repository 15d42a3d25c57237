/**
 * Objects as kube-apiserver stores them in the hosted cluster's etcd, so the sandbox's etcd holds
 * what a real one does, not only test keys:
 *  - keys /kubernetes.io/<resource>/<namespace>/<name> (OpenShift's etcd prefix; Nodes under
 *    "minions", as Kubernetes' storage names them);
 *  - values in Kubernetes' protobuf storage encoding: the magic "k8s\0", then runtime.Unknown
 *    {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 4 contentType} with `raw` the object's message
 *    (k8s.io/api generated.proto: ObjectMeta 1 name, 3 namespace; Secret 1 metadata, 2 data
 *    (map<string, bytes>), 3 type; ConfigMap 1 metadata, 2 data (map<string, string>));
 *  - Secrets encrypted as kube-apiserver's aescbc provider does with the cluster's key (the
 *    HostedCluster's spec.secretEncryption.aescbc.activeKey): "k8s:enc:aescbc:v1:<key name>:",
 *    a random 16-byte IV, then AES-CBC (PKCS#7 padding) of the stored bytes. The key name is the
 *    sandbox's choice (hypershift-domain.md does not name it); readers take it from the value.
 */
import { createCipheriv, randomBytes } from 'node:crypto';

export const ETCD_PREFIX = '/kubernetes.io';
export const AESCBC_KEY_NAME = 'key1';

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const field = (no: number, value: Buffer | string) => {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
};
const meta = (namespace: string | undefined, name: string) =>
  field(1, Buffer.concat([field(1, name), ...(namespace ? [field(3, namespace)] : [])]));
const mapEntries = (no: number, data: Record<string, Buffer | string>) =>
  Object.entries(data).map(([k, v]) => field(no, Buffer.concat([field(1, k), field(2, v)])));

/** The protobuf storage bytes of an object whose message is `raw`. */
export function storageBytes(kind: string, raw: Buffer): Buffer {
  const unknown = Buffer.concat([
    field(1, Buffer.concat([field(1, 'v1'), field(2, kind)])),
    field(2, raw),
    field(4, 'application/vnd.kubernetes.protobuf'),
  ]);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}

export function secretBytes(namespace: string, name: string, data: Record<string, Buffer | string>, type = 'Opaque'): Buffer {
  return storageBytes('Secret', Buffer.concat([meta(namespace, name), ...mapEntries(2, data), field(3, type)]));
}

export function configMapBytes(namespace: string, name: string, data: Record<string, string>): Buffer {
  return storageBytes('ConfigMap', Buffer.concat([meta(namespace, name), ...mapEntries(2, data)]));
}

export function nodeBytes(name: string): Buffer {
  return storageBytes('Node', meta(undefined, name));
}

/** kube-apiserver's aescbc envelope of `plain` with `key` (32 bytes). */
export function aescbcEncrypt(plain: Buffer, key: Buffer, keyName = AESCBC_KEY_NAME): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv(`aes-${key.length * 8}-cbc`, key, iv);
  return Buffer.concat([Buffer.from(`k8s:enc:aescbc:v1:${keyName}:`, 'latin1'), iv, cipher.update(plain), cipher.final()]);
}

interface Putter {
  put(key: string, value: string | Buffer): Promise<void>;
}

/**
 * A hosted cluster's stored objects: `secrets` Secrets (encrypted with `key`), as many ConfigMaps,
 * and `nodes` Nodes. Returns the keys written.
 */
export async function seedKubeStorage(etcd: Putter, key: Buffer, counts: { secrets?: number; nodes?: number } = {}): Promise<string[]> {
  const keys: string[] = [];
  const put = async (k: string, v: Buffer) => {
    await etcd.put(k, v);
    keys.push(k);
  };
  const secrets = counts.secrets ?? 12;
  for (let i = 0; i < secrets; i++) {
    const ns = i % 2 ? 'openshift-config' : 'default';
    const name = `app-secret-${i}`;
    await put(
      `${ETCD_PREFIX}/secrets/${ns}/${name}`,
      aescbcEncrypt(secretBytes(ns, name, { password: randomBytes(12).toString('hex') }), key),
    );
    await put(`${ETCD_PREFIX}/configmaps/${ns}/app-config-${i}`, configMapBytes(ns, `app-config-${i}`, { setting: String(i) }));
  }
  for (let i = 0; i < (counts.nodes ?? 2); i++)
    await put(`${ETCD_PREFIX}/minions/ip-10-0-1-${10 + i}.ec2.internal`, nodeBytes(`ip-10-0-1-${10 + i}.ec2.internal`));
  return keys;
}
