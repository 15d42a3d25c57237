/**
 * Expected-output tests. Every real `create cluster --render` output in
 * ../shared/hypershift/render-fixtures (read in place, never copied) and every own case in
 * test/fixtures/render/<case>/input.yaml is rendered with a fixed URL and key and compared
 * with test/fixtures/render/<case>/expected.yaml. Expected files were generated once
 * (HCPDR_WRITE_EXPECTED=1) and reviewed against the input: only the restore edits differ.
 * The output is then validated with the shared CRDs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFieldError } from '../../../src/core/validate/index.ts';
import { validateManifests } from '../../../src/core/render/check.ts';
import { formatManifests, parseManifests } from '../../../src/core/objects/documents.ts';
import { renderRestore, type RenderOptions } from '../../../src/core/render/render.ts';
import type { KubeObject } from '../../../src/core/model.ts';
import { FIXED_KEY_BASE64, FIXED_URL, OWN_FIXTURES, RENDER_FIXTURES, sharedFixtures, sharedRegistry } from './helpers.ts';

const WRITE = process.env['HCPDR_WRITE_EXPECTED'] === '1';
const key = { type: 'material', keyBase64: FIXED_KEY_BASE64, origin: 'test key' } as const;

function expectMatchesFile(actual: string, file: string): void {
  if (WRITE) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  expect(existsSync(file), `${file} is missing (HCPDR_WRITE_EXPECTED=1 writes it; review it before committing)`).toBe(true);
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

/** The field errors of each object, as kube-apiserver would print them. */
function errorsOf(objects: KubeObject[]): Map<string, string[]> {
  const reg = sharedRegistry();
  if (!reg) return new Map();
  const report = validateManifests(objects, reg);
  return new Map(report.objects.map((o) => [o.object, o.errors.map(formatFieldError)]));
}

/**
 * The shared fixtures come from HyperShift's unit tests and carry placeholders the CRDs reject
 * (release image "", infraID "fakeInfraID", ARNs "fake..."). Replacing them with valid values
 * shows that what the render adds is itself valid, CEL rules included.
 */
function withValidPlaceholders(text: string): string {
  return text
    .replace(/image: ""/g, 'image: quay.io/openshift-release-dev/ocp-release:4.20.0-x86_64')
    .replace(/image: fakeReleaseImage/g, 'image: quay.io/openshift-release-dev/ocp-release:4.20.0-x86_64')
    .replace(/fakeInfraID/g, 'fake-infra-id')
    .replace(/issuerURL: fakeIssuerURL/g, 'issuerURL: https://oidc.example.com/fake')
    .replace(/: fake(\w*)ARN\b/g, ': arn:aws:iam::123456789012:role/fake$1')
    .replace(/arn: fakeKMSKeyARN/g, 'arn: arn:aws:kms:us-east-1:123456789012:key/fake')
    .replace(/id: fakeSubnetID/g, 'id: subnet-0123456789abcdef0')
    .replace(/address: fakeAddress/g, 'address: 192.0.2.10')
    .replace(/baseDomain: ""/g, 'baseDomain: example.com');
}

function isKms(text: string): boolean {
  return /\n {4}type: kms\n/.test(text);
}

const shared = sharedFixtures();
describe.skipIf(shared.length === 0)('shared render fixtures (../shared/hypershift/render-fixtures)', () => {
  it.each(shared)('%s', (file) => {
    const input = readFileSync(path.join(RENDER_FIXTURES, file), 'utf8');
    const options: RenderOptions = { snapshotUrl: FIXED_URL, includeSecrets: true, ...(isKms(input) ? {} : { key }) };
    const result = renderRestore(input, file, options);
    const text = formatManifests(result.objects, 'yaml');
    expectMatchesFile(text, path.join(OWN_FIXTURES, file.replace(/\.yaml$/, ''), 'expected.yaml'));
    expect(formatManifests(renderRestore(input, file, options).objects, 'yaml')).toBe(text);

    // The render adds no validation error to those the placeholders already cause...
    const before = errorsOf(parseManifests(input, file));
    for (const [object, errors] of errorsOf(result.objects)) {
      for (const e of errors) if (!e.startsWith('<nil>')) expect(before.get(object) ?? [], `${object}: ${e}`).toContain(e);
    }
    // ...and with valid placeholder values the output is valid, CEL rules included.
    if (sharedRegistry()) {
      const fixed = renderRestore(withValidPlaceholders(input), file, options);
      for (const [object, errors] of errorsOf(fixed.objects)) expect(errors, object).toEqual([]);
    }
  });
});
if (shared.length === 0) {
  it.skip(`shared render fixtures: ${RENDER_FIXTURES} is absent; the real-render cases were not run`, () => {});
}

const facts = {
  origin: 'backup s3://hcp-dr-test/hcp/clusters/demo/20261121T160800Z-3f9a1c/',
  namespace: 'clusters',
  name: 'demo',
  infraID: 'demo-a1b2c',
  apiServerHostname: 'api-demo.hc.example.com',
  etcdStorage: { type: 'PersistentVolume', persistentVolume: { size: '16Gi', storageClassName: 'gp3-csi' } },
  encryption: { type: 'aescbc', activeKeySecret: 'demo-etcd-encryption-key', keyUrl: 's3://hcp-dr-test/x', keySha256: '' },
  releaseImage: 'quay.io/openshift-release-dev/ocp-release:4.20.0-x86_64',
  platform: 'AWS',
} as const;

const OWN_CASES: Record<string, { options: RenderOptions; warnings: RegExp[] }> = {
  'aws-from-backup': {
    options: { snapshotUrl: FIXED_URL, key, facts: structuredClone(facts), includeSecrets: true },
    warnings: [
      /spec\.infraID is "demo-newid" in the input and "demo-a1b2c"/,
      /route\.hostname is "api-demo\.new\.example\.com"/,
      /persistentVolume\.size is "8Gi" in the input and "16Gi"/,
    ],
  },
  'with-hostedcontrolplane': {
    options: { snapshotUrl: FIXED_URL, key: { type: 'reference', secretName: 'lab-original-key' } },
    warnings: [],
  },
};

describe('own render cases (test/fixtures/render)', () => {
  it.each(Object.keys(OWN_CASES))('%s', (name) => {
    const { options, warnings } = OWN_CASES[name]!;
    const input = readFileSync(path.join(OWN_FIXTURES, name, 'input.yaml'), 'utf8');
    const result = renderRestore(input, `${name}/input.yaml`, options);
    expectMatchesFile(formatManifests(result.objects, 'yaml'), path.join(OWN_FIXTURES, name, 'expected.yaml'));
    expect(result.warnings).toHaveLength(warnings.length);
    warnings.forEach((w, i) => expect(result.warnings[i]).toMatch(w));
    if (sharedRegistry()) for (const [object, errors] of errorsOf(result.objects)) expect(errors, object).toEqual([]);
  });
});
