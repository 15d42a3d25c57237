/**
 * What a backup may change on the sandbox, read straight from the simulator's store and the
 * members' volumes, so tests can assert "exactly as before" after a crash and `resume`.
 */
import { readdirSync } from 'node:fs';
import type { Sandbox } from './sandbox.ts';
import { API_SERVERS, DEPLOYMENTS, HOSTED_CLUSTERS, HOSTED_CONTROL_PLANES } from './hypershift/controllers.ts';

export interface BackupVisibleState {
  pausedUntil: unknown;
  hcpPausedUntil: unknown;
  hcpDrAnnotations: Record<string, string>;
  replicas: Record<string, unknown>;
  /** hcp-dr snapshot files left on member volumes. */
  leftoverSnapshots: string[];
}

export function visibleState(sb: Sandbox): BackupVisibleState {
  const hc = sb.sim.store.get(HOSTED_CLUSTERS, sb.namespace, sb.name);
  const hcp = sb.sim.store.get(HOSTED_CONTROL_PLANES, sb.controlPlaneNamespace, sb.name);
  const annotations = Object.fromEntries(
    Object.entries(hc?.metadata.annotations ?? {}).filter(([k]) => k.startsWith('hcp-dr.openshift.io/')),
  );
  const replicas = Object.fromEntries(
    API_SERVERS.map((d) => [
      d,
      (sb.sim.store.get(DEPLOYMENTS, sb.controlPlaneNamespace, d)?.['spec'] as { replicas?: number } | undefined)?.replicas,
    ]),
  );
  const leftoverSnapshots: string[] = [];
  for (let i = 0; i < sb.etcd.size; i++) {
    for (const f of readdirSync(sb.etcd.member(i).volumeDir)) if (f.startsWith('hcp-dr-')) leftoverSnapshots.push(`etcd-${i}:${f}`);
  }
  return {
    pausedUntil: (hc?.['spec'] as { pausedUntil?: unknown } | undefined)?.pausedUntil,
    hcpPausedUntil: (hcp?.['spec'] as { pausedUntil?: unknown } | undefined)?.pausedUntil,
    hcpDrAnnotations: annotations,
    replicas,
    leftoverSnapshots,
  };
}
