/**
 * The management API's answers (dashboard/api/routes), shared by the server, which builds them, and the web app,
 * which reads them (dashboard/web/src/lib/api): one definition, so the two cannot drift.
 */
export type Role = 'owner' | 'viewer';
export type ResourceKind = 'sites' | 'products';

export interface Account {
  accountId: string;
  email: string;
  name: string;
  contact: string;
  hideIdentity: boolean;
  isAdmin: boolean;
  createdAt: string;
}

export interface SessionInfo { account: Account; csrf: string }

/** A site as the API shows it: the caller's role and the snippet to paste, beside its settings. */
export interface SiteView {
  siteId: string;
  domain: string;
  timezone: string;
  honorDnt: boolean;
  createdAt: string;
  role?: Role;
  snippet?: string;
}

export interface Product { productId: string; name: string; createdAt: string; role?: Role }

export interface ApiKeyInfo { keyId: string; productId: string; prefix: string; createdAt: string }

export interface ShareLink { linkId: string; siteId: string; label: string; createdAt: string }

/** A member of a site or product; name and email hidden (null email) when the member asked and the caller is not an admin. */
export interface Member { accountId: string; role: Role; name: string; email: string | null }

/** A feature of a product's catalog: what product managers compare instead of raw event names. */
export interface Feature { featureId: string; productId: string; name: string; description: string; events: string[] }
export type FeatureInput = Pick<Feature, 'name' | 'description' | 'events'>;

/** GET /api/v1/sites/:id/quality */
export interface Quality {
  site: { siteId: string; domain: string };
  days: number;
  drops: { reason: string; count: number }[];
  visits: { total: number; cookieless: number; cookielessShare: number; byReason: Record<string, number> };
  lag: { waitingEvents: number; oldestWaitingSeconds: number; lastStoredEvent: string | null };
}
