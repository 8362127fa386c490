import { ApiError, api } from '../api/client.ts';
import { auth } from '../api/manage.ts';
import type { Account, SessionInfo } from '../api/types.ts';

export type SessionStatus = 'loading' | 'setup' | 'signed-out' | 'signed-in' | 'unreachable';

/** Who is signed in: set-up needed, signed out, or an account (with the CSRF token handed to the API client). */
export class Session {
  status = $state<SessionStatus>('loading');
  account = $state<Account | null>(null);
  error = $state('');
  /** Set when the server ended the session on its own (expired, signed out elsewhere). */
  expired = $state(false);

  constructor() {
    api.onUnauthorized = () => {
      if (this.status === 'signed-in') this.expired = true;
      this.clear();
    };
  }

  async load(): Promise<void> {
    this.status = 'loading';
    try {
      const info = await auth.session();
      this.accept(info);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        try {
          this.status = (await auth.setupNeeded()) ? 'setup' : 'signed-out';
        } catch (e) {
          this.fail(e);
        }
      } else {
        this.fail(err);
      }
    }
  }

  private fail(err: unknown) {
    this.error = err instanceof Error ? err.message : String(err);
    this.status = 'unreachable';
  }

  accept(info: SessionInfo): void {
    api.csrf = info.csrf;
    this.account = info.account;
    this.status = 'signed-in';
    this.expired = false;
  }

  async signIn(email: string, password: string): Promise<void> {
    this.accept(await auth.signIn({ email, password }));
  }

  async setup(email: string, password: string, name: string): Promise<void> {
    this.accept(await auth.setup({ email, password, name: name || undefined }));
  }

  async signOut(): Promise<void> {
    try { await auth.signOut(); } finally { this.clear(); }
  }

  /** After the account was deleted or the session ended. */
  clear(): void {
    api.csrf = null;
    this.account = null;
    this.status = 'signed-out';
  }
}

export const session = new Session();
