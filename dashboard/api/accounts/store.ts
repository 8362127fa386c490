import { randomBytes } from 'node:crypto';
import { exec, queryRows, type ClickHouseClient } from '../../../core/clickhouse.ts';
import { deleteFrom } from '../../../core/cluster.ts';
import { HttpError } from '../../../core/errors.ts';
import { toChTime } from '../../../core/event.ts';
import type { Account, Role } from '../../../core/api/manage.ts';
import { hashPassword } from './password.ts';

export type { Account, Role };
export type ResourceType = 'site' | 'product';
export interface Membership { accountId: string; resourceType: ResourceType; resourceId: string; role: Role }

/** A refused account change; an HttpError, so every route answers it the same way. */
export class AccountError extends HttpError {
  constructor(message: string, status = 400, field?: string) { super(status, status === 409 ? 'conflict' : 'invalid_request', message, field); }
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,}$/;
export function normaliseEmail(email: unknown): string {
  if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw new AccountError('email must be an e-mail address', 400, 'email');
  return email.trim().toLowerCase();
}

interface AccountRow { account_id: string; email: string; name: string; contact: string; hide_identity: number; password_hash: string; is_admin: number; created_at: string }
const COLUMNS = 'account_id, email, name, contact, hide_identity, password_hash, is_admin, created_at';
const toAccount = (r: AccountRow): Account => ({ accountId: r.account_id, email: r.email, name: r.name, contact: r.contact,
  hideIdentity: Number(r.hide_identity) === 1, isAdmin: Number(r.is_admin) === 1, createdAt: r.created_at });

/**
 * Accounts and who may see what, in ClickHouse (ReplacingMergeTree, read with FINAL). Small tables: every check reads
 * the store, so a change made by any process counts at once. Deleting an account deletes its rows, not just marks them.
 */
export class AccountStore {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(private readonly ch: ClickHouseClient) {}

  /** Writes that check-then-insert run one at a time in this process (e-mail uniqueness, the first administrator). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.writes.then(fn, fn);
    this.writes = next.catch(() => undefined);
    return next;
  }

  async count(): Promise<number> {
    const [r] = await queryRows<{ c: string }>(this.ch, 'SELECT count() AS c FROM accounts FINAL');
    return Number(r?.c ?? 0);
  }

  async list(): Promise<Account[]> {
    return (await queryRows<AccountRow>(this.ch, `SELECT ${COLUMNS} FROM accounts FINAL ORDER BY email`)).map(toAccount);
  }

  async get(accountId: string): Promise<Account | undefined> {
    const [r] = await queryRows<AccountRow>(this.ch, `SELECT ${COLUMNS} FROM accounts FINAL WHERE account_id = {id:String}`, { id: accountId });
    return r && toAccount(r);
  }

  async withPassword(email: string): Promise<(Account & { passwordHash: string }) | undefined> {
    const [r] = await queryRows<AccountRow>(this.ch, `SELECT ${COLUMNS} FROM accounts FINAL WHERE email = {e:String}`, { e: email.trim().toLowerCase() });
    return r && { ...toAccount(r), passwordHash: r.password_hash };
  }

  /** Creates an account. With `onlyIfEmpty`, only as the very first one (the administrator of a new install). */
  create(input: { email: string; password: string; name?: string; isAdmin?: boolean; onlyIfEmpty?: boolean }): Promise<Account> {
    return this.serial(async () => {
      const email = normaliseEmail(input.email);
      if (input.onlyIfEmpty && (await this.count()) > 0) throw new AccountError('this Vigil already has accounts; ask an administrator', 409);
      if (await this.withPassword(email)) throw new AccountError(`an account with ${email} exists`, 409, 'email');
      const account: Account = { accountId: `a_${randomBytes(8).toString('hex')}`, email, name: (input.name ?? '').trim().slice(0, 100),
        contact: '', hideIdentity: false, isAdmin: input.isAdmin ?? false, createdAt: toChTime(Date.now()) };
      await this.write(account, await hashPassword(input.password));
      return account;
    });
  }

  async update(accountId: string, change: Partial<Pick<Account, 'name' | 'contact' | 'hideIdentity' | 'email'>>): Promise<Account> {
    return this.serial(async () => {
      const current = await this.withPassword((await this.require(accountId)).email);
      if (!current) throw new AccountError('no such account', 404);
      const next = { ...current, ...change };
      if (change.email !== undefined) {
        next.email = normaliseEmail(change.email);
        const other = await this.withPassword(next.email);
        if (other && other.accountId !== accountId) throw new AccountError(`an account with ${next.email} exists`, 409, 'email');
      }
      await this.write(next, current.passwordHash);
      const { passwordHash: _, ...account } = next;
      return account;
    });
  }

  async setPassword(accountId: string, password: string): Promise<void> {
    const account = await this.require(accountId);
    await this.write(account, await hashPassword(password));
  }

  async delete(accountId: string): Promise<void> {
    await exec(this.ch, `${deleteFrom(this.ch, 'accounts')} WHERE account_id = {id:String}`, { id: accountId });
    await exec(this.ch, `${deleteFrom(this.ch, 'memberships')} WHERE account_id = {id:String}`, { id: accountId });
  }

  private async require(accountId: string): Promise<Account> {
    const a = await this.get(accountId);
    if (!a) throw new AccountError('no such account', 404);
    return a;
  }

  private async write(a: Account, passwordHash: string): Promise<void> {
    await this.ch.insert({ table: 'accounts', format: 'JSONEachRow', values: [{ account_id: a.accountId, email: a.email, name: a.name,
      contact: a.contact, hide_identity: a.hideIdentity ? 1 : 0, password_hash: passwordHash, is_admin: a.isAdmin ? 1 : 0,
      created_at: a.createdAt, version: Date.now() * 1000 + Math.floor(Math.random() * 1000) }] });
  }

  async memberships(accountId: string): Promise<Membership[]> {
    return (await queryRows<{ account_id: string; resource_type: ResourceType; resource_id: string; role: Role }>(this.ch,
      `SELECT account_id, resource_type, resource_id, role FROM memberships FINAL WHERE account_id = {id:String} AND deleted = 0`, { id: accountId }))
      .map((r) => ({ accountId: r.account_id, resourceType: r.resource_type, resourceId: r.resource_id, role: r.role }));
  }

  async members(resourceType: ResourceType, resourceId: string): Promise<Membership[]> {
    return (await queryRows<{ account_id: string; role: Role }>(this.ch,
      `SELECT account_id, role FROM memberships FINAL WHERE resource_type = {t:String} AND resource_id = {r:String} AND deleted = 0`,
      { t: resourceType, r: resourceId })).map((r) => ({ accountId: r.account_id, resourceType, resourceId, role: r.role }));
  }

  /** The role an account has on a site or product: administrators own everything. */
  async role(account: Account, resourceType: ResourceType, resourceId: string): Promise<Role | null> {
    if (account.isAdmin) return 'owner';
    const [r] = await queryRows<{ role: Role }>(this.ch,
      `SELECT role FROM memberships FINAL WHERE account_id = {a:String} AND resource_type = {t:String} AND resource_id = {r:String} AND deleted = 0`,
      { a: account.accountId, t: resourceType, r: resourceId });
    return r?.role ?? null;
  }

  async grant(accountId: string, resourceType: ResourceType, resourceId: string, role: Role | null): Promise<void> {
    await this.ch.insert({ table: 'memberships', format: 'JSONEachRow', values: [{ account_id: accountId, resource_type: resourceType,
      resource_id: resourceId, role: role ?? 'viewer', deleted: role ? 0 : 1, version: Date.now() * 1000 + Math.floor(Math.random() * 1000) }] });
  }
}
