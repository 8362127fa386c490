/** The management API's shapes: the server's own definitions (core/api/manage.ts), not a copy. */
export type { Account, ApiKeyInfo, Feature, FeatureInput, Member, Product, Quality, ResourceKind, Role, SessionInfo, ShareLink } from '../../../../../core/api/manage.ts';
export type { SiteView as Site } from '../../../../../core/api/manage.ts';
