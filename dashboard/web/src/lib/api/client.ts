/**
 * The one way the app talks to the server: JSON in and out, the CSRF token on every state-changing request, the
 * share secret on a shared view's requests, and errors turned into ApiError carrying the server's words.
 */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code = 'error', readonly field?: string) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions { signal?: AbortSignal; accept?: string }

class ApiClient {
  /** From GET /api/session, sign-in or set-up; sent as X-CSRF-Token. */
  csrf: string | null = null;
  /** The secret of a share link (/share/<secret>): sent as X-Vigil-Share. */
  share: string | null = null;
  /** Called when the server says the session is gone (401 on anything but the auth calls). */
  onUnauthorized: () => void = () => undefined;

  private headers(method: Method, body: unknown, accept = 'application/json'): Record<string, string> {
    const h: Record<string, string> = { accept };
    if (body !== undefined) h['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrf) h['x-csrf-token'] = this.csrf;
    if (this.share) h['x-vigil-share'] = this.share;
    return h;
  }

  async raw(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: this.headers(method, body, opts.accept),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: opts.signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError(0, 'The server could not be reached. Check your connection and try again.', 'network');
    }
    if (res.ok) return res;
    let payload: { error?: string; code?: string; field?: string } = {};
    try { payload = await res.json(); } catch { /* not JSON */ }
    if (res.status === 401 && !/^\/api\/(sign-in|setup|account)/.test(path)) this.onUnauthorized();
    throw new ApiError(res.status, payload.error ? sentence(payload.error) : describeStatus(res.status), payload.code, payload.field);
  }

  async request<T>(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, body, opts);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  get<T>(path: string, opts?: RequestOptions) { return this.request<T>('GET', path, undefined, opts); }
  post<T>(path: string, body: unknown = {}, opts?: RequestOptions) { return this.request<T>('POST', path, body, opts); }
  patch<T>(path: string, body: unknown) { return this.request<T>('PATCH', path, body); }
  put<T>(path: string, body: unknown) { return this.request<T>('PUT', path, body); }
  delete<T = void>(path: string, body?: unknown) { return this.request<T>('DELETE', path, body); }
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function describeStatus(status: number): string {
  if (status === 401) return 'Please sign in again.';
  if (status === 403) return 'You do not have access to this.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many attempts. Wait a minute and try again.';
  if (status >= 500) return 'The server had a problem answering. Try again in a moment.';
  return `The request failed (HTTP ${status}).`;
}

/** Words to show for any error a call threw. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export const api = new ApiClient();
