import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOwnerKey, type NewOwnerKey } from '../../core/antitheft/owner-key.ts';
import { ed25519Signer } from '../../core/antitheft/node-crypto.ts';
import type { ContentInput } from '../../core/antitheft/report.ts';
import { AgentClient } from '../../antitheft/agent/client.ts';
import { enroll } from '../../antitheft/agent/enroll.ts';
import { Reporter } from '../../antitheft/agent/reporter.ts';
import { AgentState, type Enrollment } from '../../antitheft/agent/state.ts';
import type { DashboardClient } from './dashboard-client.ts';

export const PASSPHRASE = 'correct horse battery staple';

/** Turns anti-theft on for a signed-in dashboard client, as the browser does: the key is made here, only wrapped copies sent. */
export async function turnOn(owner: DashboardClient, passphrase = PASSPHRASE): Promise<NewOwnerKey> {
  const key = await createOwnerKey(passphrase);
  const res = await owner.request('PUT', '/api/antitheft/key', key.record);
  if (res.status !== 201) throw new Error(`turning anti-theft on: ${res.status} ${JSON.stringify(res.body)}`);
  return key;
}

export async function newCode(owner: DashboardClient, name = ''): Promise<string> {
  const res = await owner.post('/api/antitheft/enrollment-codes', { name });
  if (res.status !== 201) throw new Error(`enrollment code: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.code;
}

/** An enrolled device driven in-process through the agent's own modules (enroll, Reporter, AgentClient). */
export interface TestDevice { state: AgentState; enrollment: Enrollment; client: AgentClient; reporter: Reporter }

export async function enrollDevice(url: string, code: string, name = 'test laptop'): Promise<TestDevice> {
  const state = new AgentState(mkdtempSync(join(tmpdir(), 'vigil-agent-')));
  const enrollment = await enroll(state, url, code, name);
  const sign = ed25519Signer(state.privateKeyPem());
  return { state, enrollment, client: new AgentClient({ server: url, deviceId: enrollment.deviceId, sign }, enrollment.serverKey),
    reporter: new Reporter(state, enrollment, sign) };
}

export const KNOWN_POSITION = { lat: 48.858370, lon: 2.294481 };

export const content = (at = Date.now()): ContentInput => ({
  capturedAt: at, hostname: 'ann-laptop', platform: 'linux', agentVersion: '0.1.0',
  interfaces: [{ name: 'eth0', address: '10.9.8.7', family: 'IPv4', mac: '00:11:22:33:44:55', internal: false, cidr: '10.9.8.7/24' }],
  position: { ...KNOWN_POSITION, accuracyM: 20, source: 'command', at },
});
