/**
 * Runs the test S3 server in a child process started with --openssl-legacy-provider: s3rver
 * encrypts ListObjectsV2 continuation tokens with DES, which Node 24's OpenSSL 3 refuses
 * without it (every truncated listing then answers 500 InternalError). Only the pagination
 * test needs this. The child prints one JSON line (endpoint and test credentials, on a pipe)
 * and stops when its stdin closes, so it cannot outlive the test process.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startS3Server } from '../sandbox/s3/server.ts';

export interface ChildS3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

export async function startLegacyS3Server(dir: string, buckets: string[]): Promise<ChildS3Server> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', fileURLToPath(import.meta.url), dir, ...buckets], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`S3 server child exited with ${code}`)));
  });
  const info = JSON.parse(line) as Omit<ChildS3Server, 'stop'>;
  return {
    ...info,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, ...buckets] = process.argv.slice(2);
  const server = await startS3Server({ dir: dir!, buckets });
  process.stdout.write(
    JSON.stringify({ endpoint: server.endpoint, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }) + '\n',
  );
  process.stdin.resume();
  process.stdin.on('end', () => void server.stop().then(() => process.exit(0)));
}
