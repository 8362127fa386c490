import { randomUUID } from 'node:crypto';
import { fromB64u } from '../../core/antitheft/encoding.ts';
import { nodeDigest, nodeSealBackend } from '../../core/antitheft/node-crypto.ts';
import { sealReport, type ContentInput, type SnapshotInput } from '../../core/antitheft/report.ts';
import { WIRE_VERSION, type Mode, type ReportEnvelope, type ReportHeader } from '../../core/antitheft/schemas.ts';
import { reportHash, type Signer } from '../../core/antitheft/signing.ts';
import type { AgentState, Enrollment } from './state.ts';

export type Trigger = ReportHeader['trigger'];

/**
 * Turns a capture into a sealed, signed report and advances the chain: the next sequence number and the previous
 * report's hash are saved before the report is queued, so a crash never reuses either.
 */
export class Reporter {
  constructor(private readonly state: AgentState, private readonly enrollment: Enrollment, private readonly sign: Signer) {}

  async seal(mode: Mode, trigger: Trigger, content: ContentInput, snapshot?: SnapshotInput): Promise<ReportEnvelope> {
    const run = this.state.run();
    const header: ReportHeader = { v: WIRE_VERSION, ownerKeyId: this.enrollment.ownerKey.keyId, deviceId: this.enrollment.deviceId,
      reportId: randomUUID(), sequence: run.sequence + 1, mode, prevHash: run.prevHash, capturedAt: content.capturedAt, trigger };
    const env = await sealReport(nodeSealBackend, this.sign, fromB64u(this.enrollment.ownerKey.publicKey), header, content, snapshot);
    this.state.saveRun({ ...this.state.run(), sequence: header.sequence, prevHash: await reportHash(env, nodeDigest), lastReportAt: content.capturedAt });
    return env;
  }
}
