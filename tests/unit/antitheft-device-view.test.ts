import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deviceView, silentSince } from '../../antitheft/api/device-view.ts';
import type { DeviceRow } from '../../antitheft/store/owner.ts';

const iv = { reportIntervalS: 3600, stolenIntervalS: 300, checkInIntervalS: 300 };
const T = 1_800_000_000_000;
const device = (over: Partial<DeviceRow> = {}): DeviceRow => ({ deviceId: 'dv_000000000000000000000001', ownerId: 'a_1', name: 'laptop', platform: 'linux',
  agentVersion: '0.1.0', publicKey: 'x', fingerprint: 'AAAA-BBBB-CCCC-DDDD', ownerKeyId: 'ok_000000000000000000000001', mode: 'stolen', status: 'active',
  createdAt: T - 86_400_000, modeChangedAt: T, ...over });

describe('device status for its owner', () => {
  it('a stolen device is silent once it has missed two reports after its last one', () => {
    const seen = { contactAt: T + 1000, reportAt: T + 1000, sequence: 5 };
    assert.equal(silentSince(device(), seen, iv, T + 1000 + 2 * 300_000), null, 'two intervals plus grace not yet over');
    const since = silentSince(device(), seen, iv, T + 1000 + 2 * 300_000 + 60_000);
    assert.equal(since, T + 1000 + 2 * 300_000 + 60_000);
  });

  it('counts from when it was marked stolen plus a check-in when no stolen report came at all', () => {
    assert.equal(silentSince(device(), { contactAt: T - 10, reportAt: T - 10, sequence: 1 }, iv, T + 300_000 + 600_000 + 59_000), null);
    assert.ok(silentSince(device(), undefined, iv, T + 300_000 + 600_000 + 60_000));
  });

  it('a device in normal mode, or no longer active, is never silent', () => {
    assert.equal(silentSince(device({ mode: 'normal' }), undefined, iv, T + 86_400_000), null);
    assert.equal(silentSince(device({ status: 'deactivated' }), undefined, iv, T + 86_400_000), null);
  });

  it('expects the next report one interval after the last, by mode', () => {
    const v = deviceView(device({ mode: 'normal' }), { contactAt: T, reportAt: T, sequence: 2 }, { reports: 2, snapshots: 0, lastReceivedAt: T - 5 }, iv, T);
    assert.equal(v.nextReportDueAt, T + 3_600_000);
    assert.equal(deviceView(device(), { contactAt: T, reportAt: T, sequence: 2 }, undefined, iv, T).nextReportDueAt, T + 300_000);
  });
});
