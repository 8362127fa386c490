import { createHash, randomBytes } from 'node:crypto';
import { queryRows, type ClickHouseClient } from '../../../core/clickhouse.ts';
import type { ShareLink } from '../../../core/api/manage.ts';
import { toChTime } from '../../../core/event.ts';

export type { ShareLink };

const digest = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Secret read-only links to one site's reports; revocable; only the secret's hash is stored. */
export class ShareLinks {
  constructor(private readonly ch: ClickHouseClient) {}

  async create(siteId: string, label: string, createdBy: string): Promise<{ link: ShareLink; secret: string }> {
    const secret = randomBytes(24).toString('base64url');
    const link: ShareLink = { linkId: `l_${randomBytes(6).toString('hex')}`, siteId, label: label.slice(0, 100), createdAt: toChTime(Date.now()) };
    await this.write(link, digest(secret), createdBy, false);
    return { link, secret };
  }

  async list(siteId: string): Promise<ShareLink[]> {
    return (await queryRows<{ link_id: string; site_id: string; label: string; created_at: string }>(this.ch,
      'SELECT link_id, site_id, label, created_at FROM share_links FINAL WHERE site_id = {s:String} AND revoked = 0 ORDER BY created_at', { s: siteId }))
      .map((r) => ({ linkId: r.link_id, siteId: r.site_id, label: r.label, createdAt: r.created_at }));
  }

  async revoke(siteId: string, linkId: string): Promise<boolean> {
    const [r] = await queryRows<{ secret_hash: string; label: string; created_by: string; created_at: string }>(this.ch,
      'SELECT secret_hash, label, created_by, created_at FROM share_links FINAL WHERE link_id = {l:String} AND site_id = {s:String} AND revoked = 0',
      { l: linkId, s: siteId });
    if (!r) return false;
    await this.write({ linkId, siteId, label: r.label, createdAt: r.created_at }, r.secret_hash, r.created_by, true);
    return true;
  }

  /** The site a share secret opens, or null. */
  async siteFor(secret: string): Promise<string | null> {
    if (!/^[A-Za-z0-9_-]{20,64}$/.test(secret)) return null;
    const [r] = await queryRows<{ site_id: string }>(this.ch,
      'SELECT site_id FROM share_links FINAL WHERE secret_hash = {h:String} AND revoked = 0', { h: digest(secret) });
    return r?.site_id ?? null;
  }

  private async write(l: ShareLink, hash: string, createdBy: string, revoked: boolean): Promise<void> {
    await this.ch.insert({ table: 'share_links', format: 'JSONEachRow', values: [{ link_id: l.linkId, site_id: l.siteId, secret_hash: hash,
      label: l.label, created_by: createdBy, created_at: l.createdAt, revoked: revoked ? 1 : 0, version: Date.now() * 1000 + Math.floor(Math.random() * 1000) }] });
  }
}
