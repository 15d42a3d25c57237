/** Child of server-process.ts: argv[2] is the S3ServerOptions JSON; one line of JSON says where it listens. */
import { startS3Server, type S3ServerOptions } from './server.ts';

const server = await startS3Server(JSON.parse(process.argv[2] ?? '{}') as S3ServerOptions);
const { endpoint, region, accessKeyId, secretAccessKey } = server;
process.stdout.write(`${JSON.stringify({ endpoint, region, accessKeyId, secretAccessKey })}\n`);
process.stdin.resume();
process.stdin.once('end', () => void server.stop().finally(() => process.exit(0)));
