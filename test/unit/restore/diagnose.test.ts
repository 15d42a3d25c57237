import { describe, expect, it } from 'vitest';
import { diagnoseInitLog, nextStepFor } from '../../../src/core/restore/diagnose.ts';

const xml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>1</RequestId></Error>`;

describe('diagnoseInitLog', () => {
  it("names an expired pre-signed URL from S3's XML body, and the next step is --replace", () => {
    const d = diagnoseInitLog(`downloading\n${xml('AccessDenied', 'Request has expired')}`);
    expect(d.kind).toBe('url-expired');
    expect(d.s3Code).toBe('AccessDenied');
    expect(nextStepFor(d, 'hcp-dr restore s3://b/p/')).toContain('--replace');
  });

  it('tells a forbidden URL, a bad signature and a missing object apart', () => {
    expect(diagnoseInitLog(xml('AccessDenied', 'Access Denied')).kind).toBe('access-denied');
    expect(diagnoseInitLog(xml('SignatureDoesNotMatch', 'The request signature we calculated does not match')).kind).toBe('signature');
    expect(diagnoseInitLog(xml('NoSuchKey', 'The specified key does not exist.')).kind).toBe('no-such-key');
    expect(diagnoseInitLog(xml('SlowDown', 'Please reduce your request rate.')).kind).toBe('s3-error');
  });

  it('recognises a hash mismatch and a cut download from etcdutl/curl output', () => {
    expect(diagnoseInitLog('Error: snapshot file integrity check failed. 2 errors found.\nexpected sha256 [..], got [..]').kind).toBe(
      'hash-mismatch',
    );
    expect(diagnoseInitLog('curl: (18) transfer closed with 1048576 bytes remaining to read').kind).toBe('truncated');
  });

  it("names each of curl's download failures by its exit code, never as unrecognised", () => {
    const cases: [string, RegExp][] = [
      ['curl: (6) Could not resolve host: s3.example.com', /could not resolve .*curl exit 6/],
      ['curl: (7) Failed to connect to 127.0.0.1 port 9443 after 0 ms: Connection refused', /could not connect .*curl exit 7/],
      ['curl: (28) Operation timed out after 30001 milliseconds', /timed out .*curl exit 28/],
      ['curl: (60) SSL certificate problem: unable to get local issuer certificate', /trust store does not trust .*curl exit 60/],
      ['curl: (77) error setting certificate file: /etc/pki/tls/certs/ca-bundle.crt', /trust store could not be read .*curl exit 77/],
      ['curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to s3:443', /TLS handshake .*failed .*curl exit 35/],
      [
        "curl: (51) SSL: no alternative certificate subject name matches target host name 's3'",
        /does not match its host name .*curl exit 51/,
      ],
    ];
    for (const [log, cause] of cases) {
      const d = diagnoseInitLog(`+ curl -sS -o /tmp/snapshot https://s3/x?X-Amz-Signature=deadbeef\n${log}`);
      expect(d.kind, log).toBe('download-failed');
      expect(d.cause, log).toMatch(cause);
      expect(d.evidence).not.toContain('deadbeef');
    }
    expect(diagnoseInitLog('curl: (18) end of response with 1000 bytes missing').kind).toBe('truncated');
  });

  it('never echoes a signature from the log', () => {
    const d = diagnoseInitLog('fatal: GET https://s3/x?X-Amz-Signature=deadbeef failed');
    expect(d.kind).toBe('unknown');
    expect(d.evidence).not.toContain('deadbeef');
  });
});
