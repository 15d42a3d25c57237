/**
 * Errors from the environment are typed with a cause and a hint, never "a bug in hcp-dr":
 * file-system errors (real ones where this machine can produce them; permission and read-only
 * errors, which root cannot meet, in the shape Node gives them), a missing or failing exec
 * credential plugin, an untrusted API server certificate, a host name that does not resolve.
 * And the exit codes the README gives for a kubeconfig that selects nothing (2) and for
 * `validate --against-cluster` against an unreachable server (1).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, formatError, interruptedError } from '../../../src/cli/exit.ts';
import { InterruptedError, PartialFailureError, RemoteError } from '../../../src/core/errors.ts';
import { runCliInProcess } from '../../support/cli.ts';
import { selfSignedCertificate } from '../../sandbox/api/selfsigned.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hcpdr-env-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shown = (err: unknown) => formatError(err, { verbose: false, host: 'kubectl' });
async function thrown(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}
/** An error as Node's fs gives it, for the codes root cannot meet here (EACCES, EROFS, ENOSPC). */
function nodeError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file, errno: -1 });
}

describe('file-system errors that reach the top untyped', () => {
  it('a missing file: exit 2, the path in words, a hint; not a bug', async () => {
    const err = await thrown(() => readFile(path.join(dir, 'nope.yaml'), 'utf8'));
    expect(exitCodeOf(err)).toBe(2);
    expect(shown(err)).toBe(
      `error: failed to open ${path.join(dir, 'nope.yaml')}: no such file or directory (ENOENT)\nhint: check the path: nothing exists at ${path.join(dir, 'nope.yaml')}\n`,
    );
  });

  it('a directory where a file is expected, writing into a missing directory, a file where a directory is expected', async () => {
    const isDir = await thrown(() => readFile(dir, 'utf8'));
    expect([exitCodeOf(isDir), shown(isDir)]).toEqual([
      2,
      expect.stringMatching(
        /^error: failed to read a file: is a directory, not a file \(EISDIR\)\nhint: check the file and directory paths/,
      ),
    ]);
    const noParent = await thrown(() => writeFile(path.join(dir, 'missing', 'out.yaml'), 'x'));
    expect([exitCodeOf(noParent), shown(noParent)]).toEqual([
      2,
      expect.stringMatching(/no such file or directory \(ENOENT\)\nhint: check the path/),
    ]);
    writeFileSync(path.join(dir, 'plain'), 'x');
    const notDir = await thrown(() => mkdir(path.join(dir, 'plain', 'sub')));
    expect([exitCodeOf(notDir), shown(notDir)]).toEqual([
      2,
      expect.stringMatching(/^error: failed to create the directory .*plain\/sub: a part of the path is not a directory \(ENOTDIR\)/),
    ]);
  });

  it('permission denied and a read-only file system name the path and what to do (exit 2); a full disk is exit 1', () => {
    const denied = nodeError('EACCES', 'mkdir', '/work/out');
    expect([exitCodeOf(denied), shown(denied)]).toEqual([
      2,
      'error: failed to create the directory /work/out: permission denied (EACCES)\nhint: this user may not write there: check the permissions of /work/out and its directory (ls -ld), or use another path\n',
    ]);
    const readOnly = nodeError('EROFS', 'open', '/ro/export.tmp');
    expect(shown(readOnly)).toMatch(
      /^error: failed to open \/ro\/export\.tmp: read-only file system \(EROFS\)\nhint: \/ro\/export\.tmp is on a read-only file system/,
    );
    const full = nodeError('ENOSPC', 'write', '/tmp/spool');
    expect([exitCodeOf(full), shown(full)]).toEqual([
      1,
      expect.stringMatching(/no space left on the device \(ENOSPC\)\nhint: free space on the file system that holds \/tmp\/spool\n$/),
    ]);
    for (const err of [denied, readOnly, full]) expect(shown(err)).not.toContain('this is a bug');
  });

  it('a program that cannot be started: exit 1, "not found on PATH", install it', async () => {
    const err = await new Promise((resolve) => spawn(path.join(dir, 'no-such-program')).on('error', resolve));
    expect([exitCodeOf(err), shown(err)]).toEqual([
      1,
      expect.stringMatching(
        /^error: failed to run ".*no-such-program": not found on PATH\nhint: install .*no-such-program, or put its directory on PATH\n$/,
      ),
    ]);
  });

  it('what is left is still a bug', () => {
    expect(shown(new TypeError('x is undefined'))).toContain('this is a bug in hcp-dr');
  });
});

describe('after SIGINT/SIGTERM', () => {
  it('whatever the aborted call threw, the run is interrupted (130), unless the rollback failed (5)', () => {
    const reason = new InterruptedError('interrupted by SIGINT');
    expect(exitCodeOf(interruptedError(new RemoteError('failed to get x: socket hang up'), reason))).toBe(130);
    expect(exitCodeOf(interruptedError(new Error('aborted'), reason))).toBe(130);
    expect(shown(interruptedError(new Error('aborted'), reason))).toBe('error: interrupted by SIGINT\n');
    expect(exitCodeOf(interruptedError(new PartialFailureError('rollback failed'), reason))).toBe(5);
  });
});

/** A kubeconfig with one context `ctx` on `server`, its user given by `user`. */
function kubeconfig(
  name: string,
  server: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): string {
  const file = path.join(dir, name);
  writeFileSync(
    file,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, ...cluster } }],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'clusters' } }],
      'current-context': 'ctx',
      ...extra,
    }),
  );
  return file;
}

describe('exec credential plugins', () => {
  const exec = (command: string, args: string[] = []) => ({
    exec: { apiVersion: 'client.authentication.k8s.io/v1', command, args, interactiveMode: 'Never' },
  });

  it('missing: exit 1, the plugin named, install it', async () => {
    const missing = path.join(dir, 'kubelogin-missing');
    const run = await runCliInProcess([
      'etcd',
      'status',
      'demo',
      '--kubeconfig',
      kubeconfig('kc-plugin-missing', 'https://127.0.0.1:1', exec(missing)),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: failed to run the credential plugin "${missing}": not found on PATH\nhint: install ${missing}, or put its directory on PATH\n`,
    );
  });

  it('failing: exit 1, its last stderr line, and the command to run by hand', async () => {
    const plugin = path.join(dir, 'failing-plugin');
    writeFileSync(plugin, '#!/bin/sh\necho "starting" >&2\necho "error: the SSO session expired" >&2\nexit 1\n');
    chmodSync(plugin, 0o755);
    const run = await runCliInProcess([
      'etcd',
      'status',
      'demo',
      '--kubeconfig',
      kubeconfig('kc-plugin-failing', 'https://127.0.0.1:1', exec(plugin, ['get-token'])),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `error: failed to get credentials from the exec plugin "${plugin}" of context "ctx": error: the SSO session expired\nhint: run "${plugin} get-token" yourself to see why it fails; log in again if its session expired\n`,
    );
  });

  it('printing something other than an ExecCredential: says so', async () => {
    const plugin = path.join(dir, 'chatty-plugin');
    writeFileSync(plugin, '#!/bin/sh\necho "hello"\n');
    chmodSync(plugin, 0o755);
    const run = await runCliInProcess([
      'etcd',
      'status',
      'demo',
      '--kubeconfig',
      kubeconfig('kc-plugin-chatty', 'https://127.0.0.1:1', exec(plugin)),
    ]);
    expect([run.code, run.stderr]).toEqual([
      1,
      expect.stringMatching(/^error: failed to get credentials from the exec plugin .*: it printed no ExecCredential JSON/),
    ]);
    expect(run.stderr).not.toContain('this is a bug');
  });
});

describe('TLS trust and DNS', () => {
  let server: https.Server;
  let url: string;
  beforeAll(async () => {
    const { key, cert } = selfSignedCertificate('api.example');
    server = https.createServer({ key, cert }, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a kubeconfig whose CA did not sign the server certificate: a certificate-trust hint, not "retry"', async () => {
    const otherCa = Buffer.from(selfSignedCertificate('some-other-ca').cert).toString('base64');
    const run = await runCliInProcess([
      'etcd',
      'status',
      'demo',
      '--kubeconfig',
      kubeconfig('kc-wrong-ca', url, { token: 't' }, { 'certificate-authority-data': otherCa }),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^error: failed to get hostedclusters.* the certificate of the API server at ${url} is not trusted: `),
    );
    expect(run.stderr).toMatch(/^hint: fix certificate-authority or certificate-authority-data of this cluster in the kubeconfig/m);
    expect(run.stderr).not.toMatch(/retry|this is a bug/);
  });

  it('a server host name that does not resolve: names the server and DNS', async () => {
    const run = await runCliInProcess([
      'etcd',
      'status',
      'demo',
      '--kubeconfig',
      kubeconfig('kc-dns', 'https://hcp-dr-test.invalid:6443', { token: 't' }),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: failed to get hostedclusters.*: cannot resolve the host name of the API server https:\/\/hcp-dr-test\.invalid:6443 \((ENOTFOUND|EAI_AGAIN)\)\nhint: check the server of this context in the kubeconfig/,
    );
  });
});

describe('exit codes of the README for the kubeconfig and validate --against-cluster', () => {
  const hc = () => {
    const file = path.join(dir, 'hc.yaml');
    writeFileSync(
      file,
      'apiVersion: hypershift.openshift.io/v1beta1\nkind: HostedCluster\nmetadata: {name: demo, namespace: clusters}\nspec: {}\n',
    );
    return file;
  };

  it('no current context, an unknown --context, a directory, a file that is not YAML: one code, 2, with a hint', async () => {
    const noCurrent = kubeconfig('kc-no-current', 'https://127.0.0.1:1', { token: 't' }, {}, { 'current-context': '' });
    const good = kubeconfig('kc-good', 'https://127.0.0.1:1', { token: 't' });
    const notYaml = path.join(dir, 'kc-not-yaml');
    writeFileSync(notYaml, 'clusters: [\n');
    mkdirSync(path.join(dir, 'kc-dir'), { recursive: true });
    const cases: [string[], RegExp][] = [
      [['--kubeconfig', noCurrent], /^error: the kubeconfig has no current context\nhint: pass --context/],
      [['--kubeconfig', good, '--context', 'prod'], /^error: context "prod" does not exist in the kubeconfig\nhint: use one of: ctx/],
      [
        ['--kubeconfig', path.join(dir, 'kc-dir')],
        /^error: failed to read the kubeconfig .*kc-dir: is a directory, not a file \(EISDIR\)\nhint: /,
      ],
      [['--kubeconfig', notYaml], /^error: failed to read kubeconfig .*kc-not-yaml: not YAML: .*\nhint: pass a kubeconfig file/],
      [['--kubeconfig', path.join(dir, 'absent')], /^error: kubeconfig file ".*absent" does not exist\nhint: /],
    ];
    for (const [flags, message] of cases) {
      const run = await runCliInProcess(['etcd', 'status', 'demo', '-n', 'clusters', ...flags]);
      expect([flags, run.code, run.stderr]).toEqual([flags, 2, expect.stringMatching(message)]);
    }
  });

  it('validate --against-cluster with the API server unreachable: exit 1 (an API/network error), with or without --crd', async () => {
    const unreachable = kubeconfig('kc-unreachable', 'https://127.0.0.1:1', { token: 't' });
    for (const extra of [[], ['--crd', path.join(dir, 'no-crds-needed-first')]]) {
      if (extra.length) writeFileSync(extra[1] as string, yaml.dump(crdFor('HostedCluster', 'hostedclusters')));
      const run = await runCliInProcess(['validate', '-f', hc(), '--against-cluster', '--kubeconfig', unreachable, ...extra]);
      expect([extra, run.code, run.stderr]).toEqual([
        extra,
        1,
        expect.stringMatching(
          /cannot reach the API server at https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED.*\nhint: check --context\/--kubeconfig and that the management cluster is reachable\n$/,
        ),
      ]);
    }
  });

  it('--ca-bundle that does not exist or is a directory: exit 2 naming the flag, before any S3 request', async () => {
    for (const [bundle, message] of [
      [
        path.join(dir, 'no-ca.pem'),
        /failed to open --ca-bundle .*no-ca\.pem: no such file or directory \(ENOENT\)\nhint: check the path given to --ca-bundle/,
      ],
      [dir, /failed to read --ca-bundle .*: is a directory, not a file \(EISDIR\)\nhint: .* is a directory: pass a file to --ca-bundle/],
    ] as const) {
      const run = await runCliInProcess([
        'backup',
        'list',
        '--from',
        's3://b/p',
        '--endpoint',
        'https://127.0.0.1:1',
        '--ca-bundle',
        bundle,
      ]);
      expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
  });
});

/** A minimal CRD for one kind of hypershift.openshift.io, enough for the validator to look the kind up. */
function crdFor(kind: string, plural: string): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.hypershift.openshift.io` },
    spec: {
      group: 'hypershift.openshift.io',
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  };
}
