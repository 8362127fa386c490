import type { AgentConfig } from './config.ts';
import { ReportQueue } from './queue.ts';
import type { AgentState } from './state.ts';

const when = (ms: number | null) => (ms ? `${new Date(ms).toISOString()} (${Math.round((ms - Date.now()) / 1000)} s from now)`.replace('(-', '(') : 'never');
const ago = (ms: number | null) => (ms ? `${new Date(ms).toISOString()} (${Math.round((Date.now() - ms) / 1000)} s ago)` : 'never');

/** `vigil-agent status`: enrolled or not, mode, the owner key's fingerprint, last report, next due, queued reports. */
export async function statusLines(state: AgentState, cfg: AgentConfig): Promise<string[]> {
  if (!state.enrolled) return [`Not enrolled (state directory ${state.dir}).`, 'Enroll with: vigil-agent enroll --server URL --code CODE'];
  const e = state.enrollment();
  const r = state.run();
  const q = await new ReportQueue(state.queueDir, { maxBytes: cfg.queueMaxBytes, maxCount: cfg.queueMaxCount }).stats();
  return [
    `Enrolled with ${e.server} as device ${e.deviceId}`,
    `State: ${r.mode === 'stolen' ? 'STOLEN (reporting every ' : 'normal (reporting every '}${r.reportIntervalS} s)`,
    `Device key fingerprint: ${e.deviceFingerprint}`,
    `Owner key fingerprint:  ${e.ownerKey.fingerprint} (reports are sealed to this key; compare it with the dashboard)`,
    `Server key fingerprint: ${e.serverKey.fingerprint}`,
    `Last report captured:   ${ago(r.lastReportAt)}`,
    `Last delivered:         ${ago(r.lastDeliveredAt)}`,
    `Next report due:        ${when(r.lastReportAt ? r.lastReportAt + r.reportIntervalS * 1000 : null)}`,
    `Queued reports:         ${q.count} (${q.stolenCount} stolen-mode, ${q.bytes} bytes)`,
    ...(r.lastError ? [`Last error:             ${r.lastError}`] : []),
  ];
}
