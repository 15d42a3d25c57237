/**
 * The Job runner's container kubelet (test/sandbox/api/container-kubelet.ts): a Job's pod runs FROM
 * the hcp-dr image with podman, as the image's user, on the host network, its service account read
 * from where a kubelet mounts it (this host has no /var/run/secrets/kubernetes.io/serviceaccount, and
 * the container gets no HCP_DR_SERVICEACCOUNT_DIR), the API found through KUBERNETES_SERVICE_HOST/PORT
 * in the pod's env. Skipped, saying why, where podman cannot run the image.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_TAG } from '../../plugin/podman.ts';
import { imageUnavailable } from '../support/image-runner.ts';
import { SERVICE_ACCOUNT_MOUNT } from '../sandbox/api/container-kubelet.ts';
import { attachJobRunner, JOBS, type JobRunner } from '../sandbox/api/job-runner.ts';
import { startApiSimulator, type RunningSimulator } from '../sandbox/api/server.ts';
import type { SimObject } from '../sandbox/api/types.ts';

const NS = 'hcp-dr';
const why = imageUnavailable();
if (why) console.warn(`skipping the container kubelet tests: ${why}`);

let sim: RunningSimulator;
let runner: JobRunner;
let dir: string;

function job(name: string, command: string[], pod: Record<string, unknown> = {}): SimObject {
  return sim.store.create(JOBS, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          serviceAccountName: 'backup',
          restartPolicy: 'Never',
          ...pod,
          containers: [{ name: 'main', image: 'ghcr.io/x/hcp-dr:1', command }],
        },
      },
    },
  });
}

async function finished(name: string): Promise<{ job: SimObject; log: string; exitCode: unknown }> {
  const done = await runner.waitForJob(NS, name, 180_000);
  const pod = runner.podsOf(done)[0];
  const log = sim.logs.get(NS, pod?.metadata.name ?? '', 'main') ?? '';
  const statuses = (pod?.['status'] as { containerStatuses?: Array<{ state: { terminated?: { exitCode: number } } }> }).containerStatuses;
  return { job: done, log, exitCode: statuses?.[0]?.state.terminated?.exitCode };
}

describe.skipIf(why !== undefined)(`Jobs whose pods run FROM ${IMAGE_TAG} with podman`, () => {
  beforeAll(async () => {
    sim = await startApiSimulator();
    dir = await mkdtemp(join(tmpdir(), 'sim-podman-'));
    runner = attachJobRunner(sim, { dir: join(dir, 'pods'), imageCommand: () => ['false'], podman: { image: IMAGE_TAG } });
    sim.store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    sim.store.create(
      { group: '', version: 'v1', plural: 'serviceaccounts' },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'backup', namespace: NS } },
    );
  }, 60_000);

  afterAll(async () => {
    await runner?.stop();
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'when the container runs `hcp-dr version`, the Job completes and the pod log holds what the image printed',
    { timeout: 200_000 },
    async () => {
      job('version', ['hcp-dr', 'version']);
      const r = await finished('version');
      expect(r.job['status'], r.log).toMatchObject({ succeeded: 1 });
      expect(r.exitCode).toBe(0);
      expect(r.log).toMatch(/^hcp-dr \d+\.\d+\.\d+ \(node [\d.]+, linux\/x64\)/m);
    },
  );

  it(
    "when the container calls the API, it authenticates as the pod's ServiceAccount with the token mounted at the kubelet's path",
    { timeout: 200_000 },
    async () => {
      expect(existsSync(join(SERVICE_ACCOUNT_MOUNT, 'token'))).toBe(false); // only the container has it
      const before = sim.requests.length;
      job('status', ['hcp-dr', 'etcd', 'status', 'demo', '-n', 'clusters']);
      const r = await finished('status');
      expect(r.job['status'], r.log).toMatchObject({ failed: 1 });
      expect(r.exitCode).not.toBe(0);
      // No RoleBinding: the simulator's RBAC names the identity the mounted token carries.
      expect(r.log).toContain('User "system:serviceaccount:hcp-dr:backup" cannot get resource "hostedclusters"');
      expect(sim.requests.slice(before).some((q) => q.bearerToken && q.url.includes('hostedclusters'))).toBe(true);
    },
  );

  it(
    'after usePodman(false), a pod runs as a local process (imageCommand), and FROM the image again after usePodman(true)',
    { timeout: 200_000 },
    async () => {
      runner.usePodman(false);
      try {
        // imageCommand is `false`: the process exits 1 whatever its args, where the image printed its version.
        job('as-process', ['hcp-dr', 'version']);
        const r = await finished('as-process');
        expect(r.job['status'], r.log).toMatchObject({ failed: 1 });
        expect(r.log).not.toMatch(/^hcp-dr \d/m);
      } finally {
        runner.usePodman(true);
      }
      job('from-image-again', ['hcp-dr', 'version']);
      const again = await finished('from-image-again');
      expect(again.job['status'], again.log).toMatchObject({ succeeded: 1 });
      expect(again.log).toMatch(/^hcp-dr \d+\.\d+\.\d+ /m);
    },
  );

  it('when automountServiceAccountToken is false, nothing is mounted: the container sends no token', { timeout: 200_000 }, async () => {
    const before = sim.requests.length;
    job('no-token', ['hcp-dr', 'etcd', 'status', 'demo', '-n', 'clusters'], { automountServiceAccountToken: false });
    const r = await finished('no-token');
    expect(r.job['status'], r.log).toMatchObject({ failed: 1 });
    expect(r.log).not.toContain('system:serviceaccount:hcp-dr:backup');
    expect(sim.requests.slice(before).filter((q) => q.bearerToken)).toEqual([]);
  });
});
