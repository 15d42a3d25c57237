/**
 * How every etcd pod is probed: one curl process asks its own member, through
 * etcd's JSON gateway (served on the client port by default in etcd 3.4 to 3.6), what `etcdctl
 * endpoint status`, `endpoint health`, `member list` and `alarm list` answer, over one TLS
 * connection (hashkv stays with etcdctl: its gateway path changed between 3.4 and 3.5). Four
 * etcdctl processes cost about seven times the CPU of this one curl, and `etcd status -A` runs one
 * probe per pod of every hosted cluster. curl is in HyperShift's etcd image (its etcd-init
 * downloads the restore snapshot with it); without curl, the caller asks etcdctl.
 *
 * The answers are handed back in etcdctl's JSON shapes, so etcdctl.ts parses both: the gateway
 * prints the same field names, with uint64 values as strings.
 */
import { randomBytes } from 'node:crypto';
import { Etcd } from '../model.ts';
import { PROBE_CA, type ProbeAnswer, type ProbeCall } from './probe-script.ts';

interface GatewayRequest {
  name: 'status' | 'members' | 'alarms' | 'health';
  path: string;
  /** POST body; GET without one. */
  body?: string;
}

const REQUESTS: readonly GatewayRequest[] = [
  { name: 'status', path: '/v3/maintenance/status', body: '{}' },
  { name: 'members', path: '/v3/cluster/member/list', body: '{}' },
  { name: 'alarms', path: '/v3/maintenance/alarm', body: '{"action":"GET"}' },
  // Like `endpoint health`: false without a leader, with an alarm, or when a quorum read fails.
  { name: 'health', path: '/health' },
];

/** Seconds each request may take: a dead member answers nothing rather than an error. */
const MAX_SECONDS = '2';

export interface GatewayProbe {
  call: ProbeCall;
  /** The call's record as etcdctl-shaped answers by name; undefined when curl could not run. */
  read(answer: ProbeAnswer | undefined): Map<string, ProbeAnswer> | undefined;
}

export function gatewayProbe(): GatewayProbe {
  const nonce = `hcp-dr-gw-${randomBytes(6).toString('hex')}`;
  const command = ['curl'];
  REQUESTS.forEach((r, i) => {
    if (i > 0) command.push('--next');
    command.push('-s', '--max-time', MAX_SECONDS, '--cacert', PROBE_CA, '--cert', Etcd.clientCert, '--key', Etcd.clientKey);
    if (r.body !== undefined) command.push('-X', 'POST', '-H', 'Content-Type: application/json', '-d', r.body);
    command.push('-w', `\\n${nonce} ${r.name} %{http_code} %{time_total}\\n`, `${Etcd.localEndpoint}${r.path}`);
  });
  return {
    call: {
      name: 'gateway',
      endpoint: Etcd.localEndpoint,
      args: [],
      command,
      label: 'curl (endpoint status, endpoint health, member list, alarm list)',
    },
    read: (answer) => (answer ? readGatewayOutput(answer.stdout, nonce) : undefined),
  };
}

/**
 * Splits curl's output at the write-out lines and reshapes each body as etcdctl prints it.
 * Undefined (ask etcdctl) when a record is missing or the gateway did not serve a request.
 */
export function readGatewayOutput(stdout: string, nonce: string): Map<string, ProbeAnswer> | undefined {
  // The shell's $(...) drops the last line's newline.
  const line = new RegExp(`\\n${nonce} (status|members|alarms|health) (\\d{3}) ([\\d.]+)(?:\\n|$)`, 'g');
  const answers = new Map<string, ProbeAnswer>();
  let bodyStart = 0;
  let served = true;
  for (let m = line.exec(stdout); m; m = line.exec(stdout)) {
    const body = stdout.slice(bodyStart, m.index).trim();
    bodyStart = m.index + m[0].length;
    const [name, code] = [m[1] as GatewayRequest['name'], Number(m[2])];
    // An answer other than 200 to these (a 404 with the gateway turned off): the member answered, its gateway did not.
    if (name !== 'health' && code !== 200 && code !== 0) served = false;
    answers.set(name, reshape(name, code, Number(m[3]), body));
  }
  return answers.size === REQUESTS.length && served ? answers : undefined;
}

const failed: ProbeAnswer = { exitCode: 1, stdout: '' };

function reshape(name: GatewayRequest['name'], httpCode: number, seconds: number, body: string): ProbeAnswer {
  const endpoint = JSON.stringify(Etcd.localEndpoint);
  if (name === 'health') {
    if (httpCode === 0) return failed;
    const answer = jsonObject(body);
    const healthy = httpCode === 200 && String(answer?.['health']) === 'true';
    const reason = typeof answer?.['reason'] === 'string' && answer['reason'] ? answer['reason'] : `HTTP ${httpCode}`;
    const took = JSON.stringify(`${(seconds * 1000).toFixed(3)}ms`);
    const error = healthy ? '' : `,"error":${JSON.stringify(`unhealthy: ${reason}`)}`;
    return { exitCode: healthy ? 0 : 1, stdout: `[{"endpoint":${endpoint},"health":${healthy},"took":${took}${error}}]` };
  }
  if (httpCode !== 200 || !body.startsWith('{')) return failed;
  return { exitCode: 0, stdout: name === 'status' ? `[{"Endpoint":${endpoint},"Status":${body}}]` : body };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
