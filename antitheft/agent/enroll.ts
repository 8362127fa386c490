import { hostname, platform } from 'node:os';
import { EnrollAnswer, WIRE_VERSION, type EnrollRequest } from '../../core/antitheft/schemas.ts';
import { ed25519Signer, generateEd25519 } from '../../core/antitheft/node-crypto.ts';
import { fingerprint } from '../../core/antitheft/signing.ts';
import { AgentClient, ServerError } from './client.ts';
import type { AgentState, Enrollment } from './state.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * Enrollment: a new Ed25519 key made here (its private half never leaves the state directory), sent with the owner's
 * one-time code in a request signed by that key. The server answers with the owner's report key and its own key,
 * which the agent pins. Both sides show the device key's fingerprint, and the agent the owner key's, so a swapped
 * key shows up as different letters on the two screens.
 */
export async function enroll(state: AgentState, server: string, code: string, name = hostname()): Promise<Enrollment> {
  if (state.enrolled) throw new Error(`already enrolled (state in ${state.dir}); remove that directory to enroll again`);
  const pair = generateEd25519();
  const body: EnrollRequest = { v: WIRE_VERSION, code: code.trim(), publicKey: pair.publicKey, name: name.slice(0, 100) || 'computer',
    platform: platform(), agentVersion: AGENT_VERSION };
  const client = new AgentClient({ server, deviceId: 'new', sign: ed25519Signer(pair.privateKeyPem) }, null);
  const { json } = await client.request('/api/antitheft/agent/enroll', JSON.stringify(body));
  const answer = EnrollAnswer.safeParse(json);
  if (!answer.success) throw new ServerError(502, 'bad_answer', 'the server did not answer like a Vigil anti-theft server');
  const a = answer.data;
  if (a.deviceFingerprint !== (await fingerprint('device', pair.publicKey))) throw new ServerError(502, 'bad_answer', 'the server names another device key');
  if (a.ownerKey.fingerprint !== (await fingerprint('owner', a.ownerKey.publicKey))) throw new ServerError(502, 'bad_answer', "the owner key's fingerprint does not match it");
  const enrollment: Enrollment = { v: 1, server: new URL(server).origin, deviceId: a.deviceId, deviceFingerprint: a.deviceFingerprint, ownerKey: a.ownerKey,
    serverKey: a.serverKey, enrolledAt: Date.now() };
  // The answer must verify under the server key it came with (so the pinned key is one the server holds).
  const first = await new AgentClient({ server, deviceId: a.deviceId, sign: ed25519Signer(pair.privateKeyPem) }, a.serverKey).verifyAnswer(a.signed);
  state.saveKey(pair.privateKeyPem);
  state.saveEnrollment(enrollment);
  state.saveRun({ ...state.run(), mode: first.mode, reportIntervalS: first.reportIntervalS, checkInIntervalS: first.checkInIntervalS });
  return enrollment;
}
