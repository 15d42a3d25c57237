import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pemOf, selectKubeconfig } from '../../../src/kube/kubeconfig.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hcp-dr-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, body: string): string {
  const p = path.join(dir, name);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, body);
  return p;
}

const first = file(
  'a/first.yaml',
  `apiVersion: v1
kind: Config
current-context: one
clusters:
- {name: c1, cluster: {server: "https://one.example:6443", certificate-authority: ca.crt}}
- {name: shared, cluster: {server: "https://first-wins.example"}}
users:
- {name: u1, user: {tokenFile: token}}
contexts:
- {name: one, context: {cluster: c1, user: u1, namespace: clusters}}
`,
);
const second = file(
  'b/second.yaml',
  `apiVersion: v1
kind: Config
current-context: two
clusters:
- {name: shared, cluster: {server: "https://second.example"}}
- {name: c2, cluster: {server: "https://two.example"}}
users:
- {name: u2, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: oc}}}
contexts:
- {name: two, context: {cluster: c2, user: u2}}
- {name: three, context: {cluster: shared, user: u1}}
`,
);

describe('kubeconfig selection', () => {
  it('merges files as kubectl does: the first to name a thing or current-context wins, missing files are skipped', () => {
    process.env['KUBECONFIG'] = [path.join(dir, 'absent'), first, second].join(path.delimiter);
    try {
      const s = selectKubeconfig({});
      expect(s).toMatchObject({
        contextName: 'one',
        namespace: 'clusters',
        cluster: { server: 'https://one.example:6443' },
        needsClientNode: false,
      });
      expect(s.paths).toEqual([first, second]);
      expect(s.cluster['certificate-authority']).toBe(path.join(dir, 'a', 'ca.crt'));
      expect(s.user['tokenFile']).toBe(path.join(dir, 'a', 'token'));
      expect(selectKubeconfig({ context: 'three' }).cluster.server).toBe('https://first-wins.example');
      expect(selectKubeconfig({ context: 'two' }).needsClientNode).toBe(true);
    } finally {
      delete process.env['KUBECONFIG'];
    }
  });

  it('refuses a missing --kubeconfig (exit 2) and an unknown context with the known ones as hint', () => {
    expect(() => selectKubeconfig({ kubeconfig: path.join(dir, 'nope') })).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => selectKubeconfig({ kubeconfig: first, context: 'prod' })).toThrow(
      expect.objectContaining({ exitCode: 2, hint: 'use one of: one' }),
    );
  });

  it('says so when no context is selected, and when the file is not YAML, with the same exit code as an unknown context (2)', () => {
    const empty = file('empty.yaml', 'apiVersion: v1\nkind: Config\n');
    expect(() => selectKubeconfig({ kubeconfig: empty })).toThrow(
      expect.objectContaining({ exitCode: 2, message: 'the kubeconfig has no current context' }),
    );
    const broken = file('broken.yaml', 'clusters: [\n');
    expect(() => selectKubeconfig({ kubeconfig: broken })).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/failed to read kubeconfig .*broken\.yaml: not YAML/) }),
    );
    const scalar = file('scalar.yaml', 'just a string\n');
    expect(() => selectKubeconfig({ kubeconfig: scalar })).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/not a kubeconfig/) }),
    );
    expect(() => selectKubeconfig({ kubeconfig: dir })).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/is a directory, not a file \(EISDIR\)/) }),
    );
  });

  it('reads PEM material from -data fields or files', () => {
    file('pem/ca.crt', 'FROM-FILE');
    expect(pemOf({ 'certificate-authority-data': Buffer.from('INLINE').toString('base64') }, 'certificate-authority')?.toString()).toBe(
      'INLINE',
    );
    expect(pemOf({ 'certificate-authority': path.join(dir, 'pem/ca.crt') }, 'certificate-authority')?.toString()).toBe('FROM-FILE');
    expect(pemOf({}, 'certificate-authority')).toBeUndefined();
    expect(() => pemOf({ 'client-key': path.join(dir, 'missing.key') }, 'client-key')).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringMatching(/client-key named in the kubeconfig .*missing\.key: no such file or directory/),
      }),
    );
  });
});
