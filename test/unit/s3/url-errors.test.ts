import { describe, expect, it } from 'vitest';
import { parseS3Url, joinKey } from '../../../src/core/s3-url.ts';
import { mapS3Error, s3ErrorCode } from '../../../src/s3/errors.ts';
import { ForbiddenError, InterruptedError, NotFoundError, PreconditionError, RemoteError, UsageError } from '../../../src/core/errors.ts';
import { s3TargetOf } from '../../../src/cli/s3-flags.ts';

const sdkError = (name: string, status: number, message = 'msg') =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('parseS3Url', () => {
  it('splits bucket and prefix, trimming slashes', () => {
    expect(parseS3Url('s3://b-1/a/b/')).toEqual({ bucket: 'b-1', prefix: 'a/b' });
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('s3://bucket/')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(joinKey('', 'a/', '/b')).toBe('a/b');
  });
  it.each(['http://b/x', 'https://b', 's3://', 's3:///p', 'b/p', '', 's3://bad bucket/x', 's3://b!/x', 's3://b/a//c', 's3://b/../x'])(
    'rejects %j with exit 2',
    (url) => {
      const err = (() => {
        try {
          parseS3Url(url);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
    },
  );
});

describe('s3TargetOf', () => {
  it('maps flags and validates SSE', () => {
    expect(
      s3TargetOf('s3://b/p', {
        region: 'eu-west-1',
        endpoint: 'https://s3.local:9000',
        'path-style': true,
        'ca-bundle': '/ca.pem',
        sse: 'aws:kms',
        'sse-kms-key-id': 'k1',
      }),
    ).toEqual({
      url: 's3://b/p',
      region: 'eu-west-1',
      endpoint: 'https://s3.local:9000',
      pathStyle: true,
      caBundle: '/ca.pem',
      sse: 'aws:kms',
      kmsKeyId: 'k1',
    });
    expect(() => s3TargetOf('s3://b', { sse: 'des' })).toThrow(UsageError);
    expect(() => s3TargetOf('s3://b', { 'sse-kms-key-id': 'k' })).toThrow(/needs --sse aws:kms/);
    expect(() => s3TargetOf('http://b', {}, '--from')).toThrow(/for --from/);
  });
  it('takes --require-sse only with --sse', () => {
    expect(s3TargetOf('s3://b', { sse: 'AES256', 'require-sse': true })).toEqual({ url: 's3://b', sse: 'AES256', requireSse: true });
    expect(s3TargetOf('s3://b', { sse: 'AES256', 'require-sse': false })).toEqual({ url: 's3://b', sse: 'AES256' });
    expect(() => s3TargetOf('s3://b', { 'require-sse': true })).toThrow(/--require-sse needs --sse/);
  });
});

describe('mapS3Error', () => {
  const url = 's3://b/k';
  it.each([
    ['SignatureDoesNotMatch', 403, ForbiddenError],
    ['InvalidAccessKeyId', 403, ForbiddenError],
    ['AccessDenied', 403, ForbiddenError],
    ['NoSuchBucket', 404, PreconditionError],
    ['NoSuchKey', 404, NotFoundError],
    ['NotFound', 404, NotFoundError],
    ['InternalError', 500, RemoteError],
  ] as const)('%s -> %s', (name, status, type) => {
    const mapped = mapS3Error(sdkError(name, status, 'detail text'), 'upload', url);
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.message).toBe(`failed to upload ${url}: ${name}: detail text`);
  });
  it('says what a BadDigest (a part changed in transit) means and what to do', () => {
    const m = mapS3Error(sdkError('BadDigest', 400, 'The CRC32 you specified did not match the calculated checksum.'), 'upload', url);
    expect(m).toBeInstanceOf(RemoteError);
    expect(m.hint).toMatch(/changed on their way.*run the backup again/);
  });
  it.each([
    ['XAmzContentSHA256Mismatch', /do not have the SHA-256 they were signed with$/, /changed on their way.*run the backup again.*proxy/],
    ['BadDigest', /do not match the checksum sent with them \(Content-MD5 or CRC32\)$/, /changed on their way.*run the backup again/],
    ['InvalidDigest', /could not read the Content-MD5 sent with the request$/, /proxy/],
  ])('gives %s (as Ceph RGW sends it: no message, "UnknownError" from the SDK) a one-line cause and a hint', (code, cause, hint) => {
    const m = mapS3Error(sdkError(code, 400, 'UnknownError'), 'upload', url);
    expect(m).toBeInstanceOf(RemoteError);
    expect(m.message).toMatch(new RegExp(`^failed to upload ${url}: ${code}: `));
    expect(m.message).toMatch(cause);
    expect(m.message).not.toMatch(/UnknownError|\n/);
    expect(m.hint).toMatch(hint);
  });
  it('names an SSE refusal as such only when --sse was asked, with an https hint over http', () => {
    const refused = sdkError('InvalidRequest', 400, 'UnknownError');
    const overHttp = mapS3Error(refused, 'upload', url, { sse: 'AES256', endpoint: 'http://127.0.0.1:7480' });
    expect(overHttp).toBeInstanceOf(PreconditionError);
    expect(overHttp.message).toBe(`failed to upload ${url}: InvalidRequest: the store refused server-side encryption AES256`);
    expect(overHttp.hint).toMatch(/Ceph RGW refuses --sse over http: use an https:\/\/ --endpoint/);
    const kms = mapS3Error(sdkError('KMS.NotFoundException', 400, 'Invalid keyId k'), 'upload', url, {
      sse: 'aws:kms',
      endpoint: 'https://s3.local',
    });
    expect(kms.message).toBe(
      `failed to upload ${url}: KMS.NotFoundException: the store refused server-side encryption aws:kms (Invalid keyId k)`,
    );
    expect(kms.hint).not.toMatch(/over http/);
    expect(kms.hint).toMatch(/--sse aws:kms/);
    const plain = mapS3Error(refused, 'upload', url);
    expect(plain).toBeInstanceOf(RemoteError);
    expect(plain.message).toBe(`failed to upload ${url}: InvalidRequest`);
    const checksum = mapS3Error(sdkError('InvalidRequest', 400, 'Value for x-amz-checksum-crc32 header is invalid.'), 'upload', url, {
      sse: 'AES256',
    });
    expect(checksum.message).not.toMatch(/server-side encryption/);
  });
  it('recognises network failures (also inside an AggregateError) and hints at --endpoint', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const m = mapS3Error(refused, 'list', url, { endpoint: 'http://127.0.0.1:1' });
    expect(m).toBeInstanceOf(RemoteError);
    expect(m.hint).toContain('--endpoint http://127.0.0.1:1');
    const agg = Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ENOTFOUND' })], ''), {});
    expect(s3ErrorCode(agg)).toBe('ENOTFOUND');
    expect(mapS3Error({ name: 'TimeoutError', message: 'timed out' }, 'download', url).hint).toMatch(/region/);
  });
  it('treats a missing credential chain as Forbidden with a setup hint, and an abort as an interruption', () => {
    const creds = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const m = mapS3Error(creds, 'list', url);
    expect(m).toBeInstanceOf(ForbiddenError);
    expect(m.hint).toMatch(/no AWS credentials found/);
    const ac = new AbortController();
    ac.abort();
    expect(mapS3Error(new Error('aborted'), 'upload', url, { signal: ac.signal })).toBeInstanceOf(InterruptedError);
  });
  it('redacts signatures that appear in SDK messages', () => {
    const m = mapS3Error(sdkError('AccessDenied', 403, 'denied https://h/b/k?X-Amz-Signature=abcdef0123'), 'presign', url);
    expect(m.message).not.toContain('abcdef0123');
  });
});

describe('mapS3Error: every S3 failure with a cause and a next step (issue 26.5)', () => {
  it('an object missing from a backup names the backup and the command that checks it', () => {
    const url = 's3://b/hcp/clusters/demo/20261121T160800Z-3f9a1c/secrets/demo-etcd-encryption-key.yaml';
    const m = mapS3Error(sdkError('NoSuchKey', 404, 'The specified key does not exist.'), 'download', url, {
      endpoint: 'https://s3.local',
    });
    expect(m).toBeInstanceOf(NotFoundError);
    expect(m.message).toBe(`failed to download ${url}: the object is missing from the backup (NoSuchKey)`);
    expect(m.hint).toBe(
      'the backup is incomplete or was altered: check it with "{cmd} backup verify s3://b/hcp/clusters/demo/20261121T160800Z-3f9a1c/ --endpoint https://s3.local", or use another backup',
    );
  });
  it("the SDK's region and key-length refusals get a hint", () => {
    expect(mapS3Error(new Error('Invalid region in client config'), 'list', 's3://b/').hint).toMatch(/--region us-east-1/);
    // A plain Error's message, not prefixed with its class name.
    const missing = mapS3Error(new Error('Region is missing'), 'list', 's3://b/p/');
    expect(missing.message).toBe('failed to list s3://b/p/: Region is missing');
    expect(missing.hint).toBe('pass --region or set AWS_REGION');
    expect(mapS3Error(sdkError('KeyTooLongError', 400, 'Your key is too long'), 'upload', 's3://b/k').hint).toMatch(/1024 bytes/);
  });
  it('a timed-out attempt (not retried) names --request-timeout in its cause and hint', async () => {
    const { S3AttemptTimeout } = await import('../../../src/s3/attempt-timeout.ts');
    const m = mapS3Error(new S3AttemptTimeout(3000), 'list', 's3://b/', { endpoint: 'http://127.0.0.1:9', requestTimeoutSet: true });
    expect(m.message).toBe(
      'failed to list s3://b/: timed out after 3000 ms without an answer from the store (--request-timeout; not retried)',
    );
    expect(m.hint).toBe('check --endpoint http://127.0.0.1:9 and the network, or raise --request-timeout');
  });
  it('refuses a malformed --region and a prefix no key fits under, before any request', () => {
    expect(() => s3TargetOf('s3://b/x', { region: 'no such region!' })).toThrow(/invalid --region "no such region!"/);
    expect(() => s3TargetOf(`s3://b/${'p'.repeat(1024)}`, {}, '--to')).toThrow(/the prefix of --to is 1024 bytes/);
    expect(s3TargetOf('s3://b/x', { region: 'eu-central-1' }).region).toBe('eu-central-1');
  });
});
