import { fromB64u } from '../../core/antitheft/encoding.ts';
import { nodeVerify, signedRequestHeaders } from '../../core/antitheft/node-crypto.ts';
import { SignedAnswer, type CheckinAnswer, type PublicServerKey } from '../../core/antitheft/schemas.ts';
import { answerBytes, type Signer } from '../../core/antitheft/signing.ts';

export class ServerError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly retryAfterS?: number) { super(message); }
  /** Worth trying again later: the network, the server's troubles, or a rate limit. */
  get transient(): boolean { return this.status === 0 || this.status === 429 || this.status >= 500; }
}

interface HttpAnswer { status: number; text: string; retryAfter: string | undefined }

/** An answer larger than this is not from our server: a check-in answer is under 2 KB. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * One POST with node:http(s) rather than fetch: fetch loads undici, ~11 MB of resident memory that an idle agent
 * would carry all day. https is loaded only for an https server. `timeoutMs` bounds the whole exchange.
 */
async function post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpAnswer> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }); });
      res.on('error', (err) => { clearTimeout(timer); reject(err); });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.end(body);
  });
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
    const signed = await signedRequestHeaders(this.id.sign, deviceId, url.pathname, body);
    let res: HttpAnswer;
    try {
      res = await post(url, body, { 'content-type': 'application/json', ...signed }, this.timeoutMs);
    } catch (err) {
      throw new ServerError(0, 'network', `cannot reach ${url.origin}: ${(err as Error).message || (err as NodeJS.ErrnoException).code || String(err)}`);
    }
    let json: unknown = null;
    try { json = res.text ? JSON.parse(res.text) : null; } catch { /* not JSON: a proxy's page */ }
    if (res.status < 200 || res.status >= 300) {
      const e = (json ?? {}) as { error?: string; code?: string };
      const retry = Number(res.retryAfter);
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
