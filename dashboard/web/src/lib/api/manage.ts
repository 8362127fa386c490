import { api } from './client.ts';
import type { Account, ApiKeyInfo, Feature, FeatureInput, Member, Quality, Product, ResourceKind, Role, SessionInfo, ShareLink, Site } from './types.ts';

/** Typed calls of the management API (dashboard/api/routes). */
const id = encodeURIComponent;

export const auth = {
  setupNeeded: () => api.get<{ needed: boolean }>('/api/setup').then((r) => r.needed),
  setup: (b: { email: string; password: string; name?: string }) => api.post<SessionInfo>('/api/setup', b),
  signIn: (b: { email: string; password: string }) => api.post<SessionInfo>('/api/sign-in', b),
  signOut: () => api.post<void>('/api/sign-out'),
  session: () => api.get<SessionInfo>('/api/session'),
};

export const account = {
  update: (b: Partial<Pick<Account, 'name' | 'email' | 'contact' | 'hideIdentity'>>) => api.patch<{ account: Account }>('/api/account', b).then((r) => r.account),
  changePassword: (b: { current: string; next: string }) => api.post<void>('/api/account/password', b),
  exportData: () => api.raw('GET', '/api/account/export').then((r) => r.blob()),
  remove: (password: string) => api.delete('/api/account', { password }),
};

export const users = {
  list: () => api.get<{ users: Account[] }>('/api/users').then((r) => r.users),
  add: (b: { email: string; name?: string; password?: string; isAdmin?: boolean }) =>
    api.post<{ account: Account; password?: string }>('/api/users', b),
};

export const sites = {
  list: () => api.get<{ sites: Site[] }>('/api/sites').then((r) => r.sites),
  get: (siteId: string) => api.get<{ site: Site }>(`/api/sites/${id(siteId)}`).then((r) => r.site),
  add: (b: { domain: string; timezone?: string; honorDnt?: boolean }) => api.post<{ site: Site }>('/api/sites', b).then((r) => r.site),
  update: (siteId: string, b: { timezone?: string; honorDnt?: boolean }) => api.patch<{ site: Site }>(`/api/sites/${id(siteId)}`, b).then((r) => r.site),
  remove: (siteId: string) => api.delete(`/api/sites/${id(siteId)}`),
  shares: (siteId: string) => api.get<{ shares: ShareLink[] }>(`/api/sites/${id(siteId)}/shares`).then((r) => r.shares),
  share: (siteId: string, label: string) => api.post<{ share: ShareLink; url: string }>(`/api/sites/${id(siteId)}/shares`, { label }),
  revokeShare: (siteId: string, linkId: string) => api.delete(`/api/sites/${id(siteId)}/shares/${id(linkId)}`),
};

export const products = {
  list: () => api.get<{ products: Product[] }>('/api/products').then((r) => r.products),
  get: (productId: string) => api.get<{ product: Product }>(`/api/products/${id(productId)}`).then((r) => r.product),
  add: (name: string) => api.post<{ product: Product; apiKey: string }>('/api/products', { name }),
  remove: (productId: string) => api.delete(`/api/products/${id(productId)}`),
  keys: (productId: string) => api.get<{ keys: ApiKeyInfo[] }>(`/api/products/${id(productId)}/keys`).then((r) => r.keys),
  createKey: (productId: string) => api.post<{ apiKey: string }>(`/api/products/${id(productId)}/keys`).then((r) => r.apiKey),
  rotateKey: (productId: string, keyId: string) => api.post<{ apiKey: string; revoked: string }>(`/api/products/${id(productId)}/keys/${id(keyId)}/rotate`),
  revokeKey: (productId: string, keyId: string) => api.delete(`/api/products/${id(productId)}/keys/${id(keyId)}`),
};

export const members = {
  list: (kind: ResourceKind, resId: string) => api.get<{ members: Member[] }>(`/api/${kind}/${id(resId)}/members`).then((r) => r.members),
  add: (kind: ResourceKind, resId: string, email: string, role: Role) => api.post<{ accountId: string; role: Role }>(`/api/${kind}/${id(resId)}/members`, { email, role }),
  remove: (kind: ResourceKind, resId: string, accountId: string) => api.delete(`/api/${kind}/${id(resId)}/members/${id(accountId)}`),
};

export const features = {
  list: (productId: string) => api.get<{ features: Feature[] }>(`/api/products/${id(productId)}/features`).then((r) => r.features),
  add: (productId: string, f: FeatureInput) => api.post<{ feature: Feature }>(`/api/products/${id(productId)}/features`, f).then((r) => r.feature),
  update: (productId: string, featureId: string, f: FeatureInput) =>
    api.put<{ feature: Feature }>(`/api/products/${id(productId)}/features/${id(featureId)}`, f).then((r) => r.feature),
  remove: (productId: string, featureId: string) => api.delete(`/api/products/${id(productId)}/features/${id(featureId)}`),
};

export const quality = (siteId: string, days = 30) => api.get<Quality>(`/api/v1/sites/${id(siteId)}/quality?days=${days}`);
