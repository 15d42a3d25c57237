/**
 * etcdctl as HyperShift's etcd pods run it, and its JSON output read safely. Member and
 * cluster IDs are uint64: JSON.parse would round them (d543553b8739a5ef → ...a800), so big
 * integers are quoted before parsing and IDs are kept as hex strings, as etcdctl prints them.
 * Output shapes of etcd 3.4, 3.5 and 3.6 are all accepted (later versions add fields).
 */
import { Etcd } from '../model.ts';

export interface EtcdctlTls {
  caPath: string;
}

/** Probes keep timeouts short: a dead member otherwise costs 5 s per command. */
const PROBE_TIMEOUTS = ['--dial-timeout=2s', '--command-timeout=3s'];

/** argv for etcdctl in the `etcd` container with HyperShift's client certificate. */
export function etcdctl(tls: EtcdctlTls, endpoints: string, ...args: string[]): string[] {
  return [...etcdctlNoTimeout(tls, endpoints), ...PROBE_TIMEOUTS, ...args];
}

/** For long commands (snapshot save): etcdctl then applies no deadline of its own. */
export function etcdctlNoTimeout(tls: EtcdctlTls, endpoints: string, ...args: string[]): string[] {
  return ['etcdctl', `--cacert=${tls.caPath}`, `--cert=${Etcd.clientCert}`, `--key=${Etcd.clientKey}`, `--endpoints=${endpoints}`, ...args];
}

/** A member's peer URL, as HyperShift's etcd StatefulSet advertises it (through the etcd-discovery Service). */
export function peerUrlOf(member: string, controlPlaneNamespace: string): string {
  return `https://${member}.etcd-discovery.${controlPlaneNamespace}.svc:2380`;
}

export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
  /** The storage version etcd 3.6+ writes into bucket meta ("3.6.0"); absent for 3.5 and older snapshots. */
  version?: string;
  /**
   * The cluster version etcd (3.4 on) records in bucket "cluster" ("3.5.0": the lowest minor its
   * members ran), read by hcp-dr's own reader only (no tool prints it). A new 3.6 cluster writes it
   * before its storage version, so a snapshot taken in that window has this and no `version`.
   */
  clusterVersion?: string;
  /**
   * Live keys at the snapshot's revision (distinct keys whose last revision is not a tombstone): what
   * etcdutl 3.6 prints as totalKey, where 3.4 and 3.5 print every entry of every bucket. Computed by
   * hcp-dr's own reader; from a tool's output only when the tool is 3.6+ (see keysOf in restore-copy.ts).
   */
  liveKeys?: number;
  /** The tool printed a "version" field: etcdutl 3.6+, whose totalKey counts live keys. */
  liveKeyCount?: boolean;
}

/** `snapshot status -w json` (etcdctl up to 3.5, etcdutl from 3.5 on). */
export function parseSnapshotStatus(stdout: string): SnapshotStatus | undefined {
  const parsed = jsonOf(stdout) as Record<string, unknown> | undefined;
  const revision = num(parsed?.['revision']);
  if (!parsed || revision === undefined) return undefined;
  return {
    hash: num(parsed['hash']) ?? 0,
    revision,
    totalKey: num(parsed['totalKey']) ?? 0,
    totalSize: num(parsed['totalSize']) ?? 0,
    ...('version' in parsed ? { liveKeyCount: true } : {}),
  };
}

/** Quotes integers too large for a double, so they survive JSON.parse exactly. */
export function parseEtcdJson(text: string): unknown {
  const safe = text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"');
  return JSON.parse(safe);
}

/** A uint64 ID (number or quoted digits) in etcdctl's hex form. */
export function toHexId(value: unknown): string {
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value).toString(16);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value).toString(16);
  return '';
}

/** A JSON scalar as text; anything else (absent, an object) as ''. */
function scalarText(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

/** The first JSON value in stdout; etcdctl may print it even when it exits non-zero. */
function jsonOf(stdout: string): unknown {
  const start = stdout.search(/[[{]/);
  if (start < 0) return undefined;
  try {
    return parseEtcdJson(stdout.slice(start).trim());
  } catch {
    return undefined;
  }
}

export interface EndpointStatus {
  endpoint: string;
  memberId: string;
  clusterId: string;
  /** Hex ID of the leader this member sees; '' when it sees none. */
  leader: string;
  version: string;
  dbSize: number;
  /** Bytes in use; undefined before etcd 3.4 reported it. */
  dbSizeInUse: number | undefined;
  /** The member's own quota (3.6 reports it); undefined otherwise. */
  dbSizeQuota: number | undefined;
  isLearner: boolean;
  raftTerm: number;
  raftIndex: number;
  raftAppliedIndex: number;
  revision: number;
  errors: string[];
}

export function parseEndpointStatus(stdout: string): EndpointStatus[] {
  const parsed = jsonOf(stdout);
  if (!Array.isArray(parsed)) return [];
  return parsed.map((entry: Record<string, unknown>) => {
    const s = (entry['Status'] ?? {}) as Record<string, unknown>;
    const header = (s['header'] ?? {}) as Record<string, unknown>;
    return {
      endpoint: scalarText(entry['Endpoint']),
      memberId: toHexId(header['member_id']),
      clusterId: toHexId(header['cluster_id']),
      leader: toHexId(s['leader']),
      version: scalarText(s['version']),
      dbSize: num(s['dbSize']) ?? 0,
      dbSizeInUse: num(s['dbSizeInUse']),
      dbSizeQuota: num(s['dbSizeQuota']),
      isLearner: s['isLearner'] === true,
      raftTerm: num(s['raftTerm']) ?? 0,
      raftIndex: num(s['raftIndex']) ?? 0,
      raftAppliedIndex: num(s['raftAppliedIndex']) ?? 0,
      revision: num(header['revision']) ?? 0,
      errors: Array.isArray(s['errors']) ? s['errors'].map(String) : [],
    };
  });
}

export interface EndpointHealth {
  endpoint: string;
  healthy: boolean;
  took: string;
  error: string | undefined;
}

export function parseEndpointHealth(stdout: string): EndpointHealth[] {
  const parsed = jsonOf(stdout);
  if (!Array.isArray(parsed)) return [];
  return parsed.map((entry: Record<string, unknown>) => ({
    endpoint: scalarText(entry['endpoint']),
    healthy: entry['health'] === true,
    took: scalarText(entry['took']),
    error: typeof entry['error'] === 'string' ? entry['error'] : undefined,
  }));
}

export interface Member {
  id: string;
  /** Empty for a member that was added but has not started ("unstarted"). */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberList {
  clusterId: string;
  /** The member that answered. */
  memberId: string;
  members: Member[];
}

export function parseMemberList(stdout: string): MemberList | undefined {
  const parsed = jsonOf(stdout) as Record<string, unknown> | undefined;
  if (!parsed || !Array.isArray(parsed['members'])) return undefined;
  const header = (parsed['header'] ?? {}) as Record<string, unknown>;
  return {
    clusterId: toHexId(header['cluster_id']),
    memberId: toHexId(header['member_id']),
    members: (parsed['members'] as Record<string, unknown>[]).map((m) => ({
      id: toHexId(m['ID']),
      name: scalarText(m['name']),
      peerURLs: Array.isArray(m['peerURLs']) ? m['peerURLs'].map(String) : [],
      clientURLs: Array.isArray(m['clientURLs']) ? m['clientURLs'].map(String) : [],
      isLearner: m['isLearner'] === true,
    })),
  };
}

export interface HashKV {
  endpoint: string;
  memberId: string;
  hash: number;
  /** The revision the hash was computed at. */
  revision: number;
  compactRevision: number;
}

export function parseHashKV(stdout: string): HashKV[] {
  const parsed = jsonOf(stdout);
  if (!Array.isArray(parsed)) return [];
  return parsed.map((entry: Record<string, unknown>) => {
    const h = (entry['HashKV'] ?? {}) as Record<string, unknown>;
    const header = (h['header'] ?? {}) as Record<string, unknown>;
    return {
      endpoint: scalarText(entry['Endpoint']),
      memberId: toHexId(header['member_id']),
      hash: num(h['hash']) ?? 0,
      revision: num(h['hash_revision']) ?? num(header['revision']) ?? 0,
      compactRevision: num(h['compact_revision']) ?? -1,
    };
  });
}

export interface Alarm {
  memberId: string;
  alarm: string;
}

const ALARM_NAMES: Record<number, string> = { 0: 'NONE', 1: 'NOSPACE', 2: 'CORRUPT' };

/** `alarm list -w json`; the alarm type is an enum printed as a number (or a name). */
export function parseAlarms(stdout: string): Alarm[] {
  const parsed = jsonOf(stdout) as Record<string, unknown> | undefined;
  const alarms = parsed?.['alarms'];
  if (!Array.isArray(alarms)) return [];
  return alarms.map((a: Record<string, unknown>) => ({
    memberId: toHexId(a['memberID']),
    alarm: typeof a['alarm'] === 'number' ? (ALARM_NAMES[a['alarm']] ?? String(a['alarm'])) : scalarText(a['alarm']),
  }));
}
