/**
 * The etcd image trust check (controlplane/snapshot-trust.ts) against a stateful fake cluster and a
 * fake pod exec that answers as the image's curl would: which pod it asks, that the URL travels on
 * stdin only, and how curl's exit codes become a refusal, a warning or a pass.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeKube } from '../../../support/fakes/kube.ts';
import { Resources } from '../../../../src/core/model.ts';
import { ForbiddenError } from '../../../../src/core/errors.ts';
import type { ExecRequest, ExecResult, PodExec } from '../../../../src/core/ports.ts';
import { checkEtcdImageTrust } from '../../../../src/core/controlplane/snapshot-trust.ts';

const URL = 'https://s3.internal.example/b/.probe?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA';

function pod(namespace: string, name: string, phase = 'Running') {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels: { app: 'etcd' } },
    spec: { containers: [{ name: 'etcd', image: 'registry.example/etcd@sha256:abc' }] },
    status: { phase, containerStatuses: [{ name: 'etcd', state: phase === 'Running' ? { running: {} } : { waiting: {} } }] },
  };
}

/** Answers every exec with `answer`; records each request and the stdin it got. */
class CurlExec implements PodExec {
  readonly calls: { request: ExecRequest; stdin: string }[] = [];
  readonly answer: ExecResult | Error;
  constructor(answer: ExecResult | Error) {
    this.answer = answer;
  }
  async exec(request: ExecRequest): Promise<ExecResult> {
    const chunks: Buffer[] = [];
    if (request.stdin)
      for await (const c of Buffer.isBuffer(request.stdin) ? Readable.from([request.stdin]) : request.stdin)
        chunks.push(Buffer.from(c as Buffer));
    this.calls.push({ request, stdin: Buffer.concat(chunks).toString() });
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

function world(pods: ReturnType<typeof pod>[]) {
  const api = new FakeKube();
  for (const p of pods) api.put(Resources.pod, p);
  return api;
}

describe('checkEtcdImageTrust', () => {
  it('asks a Running etcd pod of the preferred namespace; the URL goes on stdin, never on the command line', async () => {
    const api = world([pod('clusters-other', 'etcd-0'), pod('clusters-demo', 'etcd-0', 'Pending'), pod('clusters-demo', 'etcd-1')]);
    const exec = new CurlExec({ exitCode: 0, stdout: '404', stderr: '' });
    const r = await checkEtcdImageTrust({ api, exec, url: URL, namespaces: ['clusters-demo'] });
    expect(r).toMatchObject({ ok: true, detail: expect.stringMatching(/^etcd pod clusters-demo\/etcd-1 .*HTTP 404/) });
    expect(exec.calls).toHaveLength(1);
    const { request, stdin } = exec.calls[0]!;
    expect(request).toMatchObject({ namespace: 'clusters-demo', pod: 'etcd-1', container: 'etcd' });
    expect(stdin).toBe(`${URL}\n`);
    expect(JSON.stringify(request.command)).not.toContain('X-Amz');
    expect(request.command.join(' ')).toMatch(/curl -sS -o \/dev\/null -w '%\{http_code\}' "\$URL"/);
  });

  it.each([60, 77, 35, 51])('curl exit %i refuses, naming the CA problem and the ways out', async (code) => {
    const api = world([pod('clusters-demo', 'etcd-0')]);
    const exec = new CurlExec({ exitCode: code, stdout: '000', stderr: `curl: (${code}) SSL certificate problem\n` });
    const r = await checkEtcdImageTrust({ api, exec, url: URL, namespaces: ['clusters-demo'], caBundle: 'ca.pem' });
    expect(r?.ok).toBe(false);
    expect(r?.detail).toMatch(new RegExp(`curl exit ${code}: curl: \\(${code}\\)`));
    expect(r?.hint).toMatch(/publicly trusted CA.*etcd image that trusts the endpoint's CA \(ca\.pem\)/);
  });

  it.each([
    [7, /curl exit 7/],
    [127, /no curl or \/bin\/sh/],
  ])('curl exit %i is a warning, not a refusal', async (code, text) => {
    const api = world([pod('clusters-demo', 'etcd-0')]);
    const r = await checkEtcdImageTrust({
      api,
      exec: new CurlExec({ exitCode: code, stdout: '', stderr: `curl: (${code}) Failed to connect\n` }),
      url: URL,
      namespaces: ['clusters-demo'],
    });
    expect(r).toMatchObject({ ok: true, detail: expect.stringMatching(/^inconclusive: /), warning: expect.stringMatching(text) });
  });

  it('an exec that is not allowed is a warning', async () => {
    const api = world([pod('clusters-demo', 'etcd-0')]);
    const r = await checkEtcdImageTrust({
      api,
      exec: new CurlExec(new ForbiddenError('forbidden')),
      url: URL,
      namespaces: ['clusters-demo'],
    });
    expect(r).toMatchObject({ ok: true, warning: expect.stringMatching(/pods\/exec is not allowed/) });
  });

  it('with no etcd pod to ask: not checked, and a warning saying why only when --ca-bundle was needed', async () => {
    const exec = new CurlExec({ exitCode: 0, stdout: '200', stderr: '' });
    const api = world([pod('clusters-other', 'etcd-0')]);
    const without = await checkEtcdImageTrust({ api, exec, url: URL, namespaces: ['clusters-demo'], noPodReason: 'none here' });
    expect(without).toEqual({ ok: true, detail: 'not checked: none here' });
    const withCa = await checkEtcdImageTrust({
      api,
      exec,
      url: URL,
      namespaces: ['clusters-demo'],
      caBundle: 'ca.pem',
      noPodReason: 'none here',
    });
    expect(withCa?.warning).toMatch(/^--ca-bundle ca\.pem: hcp-dr cannot check .*\(none here\)/);
    expect(exec.calls).toHaveLength(0);
    // anyEtcdPod: another control plane's etcd pod of this management cluster is asked.
    const any = await checkEtcdImageTrust({ api, exec, url: URL, namespaces: ['clusters-demo'], anyEtcdPod: true });
    expect(any?.detail).toMatch(/^etcd pod clusters-other\/etcd-0/);
  });

  it('a non-https URL is not its business (the URL check refuses it)', async () => {
    const exec = new CurlExec({ exitCode: 0, stdout: '200', stderr: '' });
    expect(await checkEtcdImageTrust({ api: world([pod('c', 'etcd-0')]), exec, url: 'http://x/y', namespaces: ['c'] })).toBeUndefined();
    expect(exec.calls).toHaveLength(0);
  });
});
