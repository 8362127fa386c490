/** A dashboard user's browser, for API tests: keeps the session cookie and sends the CSRF token on writes. */
export class DashboardClient {
  cookie = '';
  csrf = '';

  constructor(private readonly base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = /vigil_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '');
    if (setCookie) this.cookie = setCookie[1] ? `vigil_session=${setCookie[1]}` : '';
    const text = await res.text();
    let parsed: any = text;
    try { parsed = text ? JSON.parse(text) : null; } catch { /* CSV or HTML */ }
    if (parsed && typeof parsed === 'object' && typeof parsed.csrf === 'string') this.csrf = parsed.csrf;
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body?: unknown) => this.request('POST', path, body ?? {});
  patch = (path: string, body: unknown) => this.request('PATCH', path, body);
  delete = (path: string, body?: unknown) => this.request('DELETE', path, body);

  async signIn(email: string, password: string): Promise<number> {
    return (await this.post('/api/sign-in', { email, password })).status;
  }
}
