import { createHash, randomBytes } from 'node:crypto';
import { fromB64u, toB64u } from '../../core/antitheft/encoding.ts';
import { nodeVerify } from '../../core/antitheft/node-crypto.ts';
import { SignedAnswer, type CheckinAnswer, type PublicServerKey } from '../../core/antitheft/schemas.ts';
import { answerBytes, HEADERS, requestBytes, type Signer } from '../../core/antitheft/signing.ts';

export class ServerError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterS?: number) { super(message); }
  /** Worth trying again later: the network, the server's troubles, or a rate limit. */
  get transient(): boolean { return this.status === 0 || this.status === 429 || this.status >= 500; }
}

export interface ClientIdentity { server: string; deviceId: string; sign: Signer }

/**
 * The agent's HTTP client: every request signed by the device key over method, path, time, a fresh nonce and the
 * body's hash; every answer checked against the server key pinned at enrollment, so an answer that would switch the
 * agent off must really come from the server.
 */
export class AgentClient {
  constructor(private readonly id: ClientIdentity, private readonly serverKey: PublicServerKey | null, private readonly timeoutMs = 60_000) {}

  async request(path: string, body: string, deviceId = this.id.deviceId): Promise<{ status: number; json: unknown }> {
    const url = new URL(path, this.id.server);
    const timestamp = Date.now();
    const nonce = toB64u(randomBytes(18));
    const bodySha256 = createHash('sha256').update(body, 'utf8').digest('hex');
    const sig = await this.id.sign(requestBytes({ method: 'POST', path: url.pathname, timestamp, nonce, deviceId, bodySha256 }));
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs), headers: {
        'content-type': 'application/json', [HEADERS.device]: deviceId, [HEADERS.timestamp]: String(timestamp), [HEADERS.nonce]: nonce,
        [HEADERS.signature]: toB64u(await sig) } });
    } catch (err) {
      throw new ServerError(0, 'network', `cannot reach ${url.origin}: ${(err as Error).cause ? String((err as Error & { cause: Error }).cause.message ?? (err as Error).cause) : (err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON: a proxy's page */ }
    if (!res.ok) {
      const e = (json ?? {}) as { error?: string; code?: string };
      const retry = Number(res.headers.get('retry-after'));
      throw new ServerError(res.status, e.code ?? 'http_error', e.error ?? `HTTP ${res.status}`, Number.isFinite(retry) && retry > 0 ? retry : undefined);
    }
    return { status: res.status, json };
  }

  /** A signed answer, verified. */
  async call(path: string, body: unknown): Promise<CheckinAnswer> {
    const { json } = await this.request(path, JSON.stringify(body));
    return this.verifyAnswer(json);
  }

  async verifyAnswer(json: unknown): Promise<CheckinAnswer> {
    const parsed = SignedAnswer.safeParse(json);
    if (!parsed.success) throw new ServerError(502, 'bad_answer', 'the server answered something that is not a signed check-in answer');
    const s = parsed.data;
    if (!this.serverKey || s.serverKeyId !== this.serverKey.keyId
      || !(await nodeVerify(fromB64u(this.serverKey.publicKey), answerBytes(s.answer), fromB64u(s.sig)))) {
      throw new ServerError(502, 'bad_answer_signature', 'the answer is not signed by the server key pinned at enrollment; ignoring it');
    }
    if (s.answer.deviceId !== this.id.deviceId) throw new ServerError(502, 'bad_answer', 'the answer is for another device');
    return s.answer;
  }
}
