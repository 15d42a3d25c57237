import { describe, expect, it } from 'vitest';
import { keyCheck } from '../../../src/core/etcd/verify-data.ts';

describe('keyCheck: restored keys against the backup', () => {
  it('with the live count recorded, accepts the start-up writes and refuses more', () => {
    expect(keyCheck(10_050, { revision: 1, totalKeys: 12_000, liveKeys: 10_000 }).ok).toBe(true);
    expect(keyCheck(10_600, { revision: 1, totalKeys: 12_000, liveKeys: 10_000 })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/more than 500 apart/),
    });
  });

  it("with only the snapshot's entry count (revisions included), accepts fewer live keys but not a fraction", () => {
    expect(keyCheck(208, { revision: 5, totalKeys: 208 }).ok).toBe(true);
    expect(keyCheck(700, { revision: 5, totalKeys: 1000 }).ok).toBe(true);
    expect(keyCheck(400, { revision: 5, totalKeys: 1000 })).toMatchObject({ ok: false, detail: expect.stringMatching(/less than half/) });
    expect(keyCheck(1300, { revision: 5, totalKeys: 1000 })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/more than 200 above/),
    });
    expect(keyCheck(null, { revision: 5, totalKeys: 1000 }).ok).toBe(false);
  });
});
