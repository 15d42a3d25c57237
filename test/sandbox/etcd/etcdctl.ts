/** Runs a host etcdctl (Debian's 3.4 unless given) and parses the outputs the harness needs. */
import { execFile } from 'node:child_process';
import { cleanEnv } from './process.ts';

export interface EtcdctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Never throws on a non-zero exit: etcdctl prints useful stdout even when rc != 0. */
export function runEtcdctl(args: readonly string[], timeoutMs = 20_000, bin = 'etcdctl'): Promise<EtcdctlResult> {
  return new Promise((resolve) => {
    execFile(bin, [...args], { env: cleanEnv({ ETCDCTL_API: '3' }), timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface MemberListEntry {
  /** Hex member ID, as etcdctl prints it in simple/table output (exact; no float rounding). */
  id: string;
  status: 'started' | 'unstarted';
  /** Empty while a member is added but not started. */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** Parses `member list -w simple`: "<hexid>, started, name, peer1,peer2?, client, false". */
export function parseMemberListSimple(text: string): MemberListEntry[] {
  const out: MemberListEntry[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split(', ');
    if (cols.length < 6 || !/^[0-9a-f]+$/.test(cols[0]!)) continue;
    const urls = (s: string) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean);
    out.push({
      id: cols[0]!,
      status: cols[1] === 'started' ? 'started' : 'unstarted',
      name: cols[2]!,
      peerURLs: urls(cols[3]!),
      clientURLs: urls(cols[4]!),
      isLearner: cols[5]!.trim() === 'true',
    });
  }
  return out;
}

/** Quotes uint64 fields before JSON.parse so IDs survive (JSON numbers lose precision past 2^53). */
export function parseEtcdJson<T>(text: string): T {
  return JSON.parse(text.replace(/"(ID|member_id|cluster_id|leader|hash)":(\d+)/g, '"$1":"$2"')) as T;
}
