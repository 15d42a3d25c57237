/**
 * Points the AWS SDK's default credential chain at a test S3 server through the environment
 * (how users configure hcp-dr), isolated from any ~/.aws of the machine. restore() undoes it.
 */
import type { S3Server } from '../sandbox/s3/server.ts';

const KEYS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_S3',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
];

export function useS3Env(server: S3Server, overrides: Record<string, string | undefined> = {}): { restore(): void } {
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  for (const k of KEYS) delete process.env[k];
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_CONFIG_FILE: '/nonexistent/hcpdr-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/hcpdr-aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return {
    restore() {
      for (const k of KEYS) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    },
  };
}

export const silentReporter = { info: () => undefined, warn: () => undefined, debug: () => undefined };
