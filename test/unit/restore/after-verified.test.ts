/**
 * issue 26.3: success is not lost to the network. After a restore's data verified, its last write
 * (the record's release) is sent again on a connection-level failure; one that still fails is an
 * interrupted operation (exit 5, hint `resume`), never exit 1 with "retry".
 */
import { describe, expect, it } from 'vitest';
import { RemoteError } from '../../../src/core/errors.ts';
import { isConnectionFailure, retryOnConnectionFailure } from '../../../src/core/connection-retry.ts';
import { Annotations, Resources } from '../../../src/core/model.ts';
import { afterVerified } from '../../../src/core/restore/finish.ts';
import { FakeKube } from '../../support/fakes/kube.ts';
import { hostedCluster } from '../../support/fakes/objects.ts';

const hangUp = () =>
  new RemoteError('failed to patch HostedCluster clusters/demo: cannot reach the API server at https://x: socket hang up', {
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });

/** A KubeApi whose merge patches fail at the connection level `failures` times first. */
class FlakyApi extends FakeKube {
  patches = 0;
  failures: number;
  constructor(failures: number) {
    super();
    this.failures = failures;
  }
  override async mergePatch(...args: Parameters<FakeKube['mergePatch']>) {
    this.patches++;
    if (this.failures-- > 0) throw hangUp();
    return super.mergePatch(...args);
  }
}

function withRecord(api: FakeKube): void {
  const record = { id: 'r1', type: 'restore', startedAt: '2026-12-01T00:00:00Z', phase: 'verifying', backup: 's3://b/x/' };
  api.put(
    Resources.hostedCluster,
    hostedCluster('demo', { metadata: { annotations: { [Annotations.operation]: JSON.stringify(record) } } }),
  );
}

describe('after the restored data is verified', () => {
  it('a release cut by "socket hang up" is sent again and the record goes', async () => {
    const api = new FlakyApi(2);
    withRecord(api);
    await afterVerified(api, 'clusters', 'demo');
    expect(api.patches).toBe(3);
    const hc = await api.get(Resources.hostedCluster, 'clusters', 'demo');
    expect(hc?.metadata.annotations?.[Annotations.operation]).toBeUndefined();
  });

  it('a release that keeps failing is exit 5 with the resume hint, not exit 1 "retry"', async () => {
    const api = new FlakyApi(100);
    withRecord(api);
    const run = afterVerified(api, 'clusters', 'demo');
    await expect(run).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringMatching(/restored data of clusters\/demo is verified, but finishing failed/),
      hint: 'finish with: {cmd} resume demo -n clusters',
    });
  });

  it('only connection-level failures are retried', async () => {
    expect(isConnectionFailure(hangUp())).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
    expect(isConnectionFailure(new RemoteError('failed to patch: the server said 500'))).toBe(false);
    let calls = 0;
    await expect(
      retryOnConnectionFailure(async () => {
        calls++;
        throw new RemoteError('forbidden');
      }),
    ).rejects.toThrow('forbidden');
    expect(calls).toBe(1);
  });
});
