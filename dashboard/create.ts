import type { Middleware } from 'koa';
import { ensureAdminToken } from '../core/admin-token.ts';
import type { Config } from '../core/config.ts';
import type { Registry } from '../core/registry.ts';
import type { Services } from '../core/services.ts';
import { AccountStore } from './api/accounts/store.ts';
import { Access } from './api/auth/access.ts';
import { loadAccount } from './api/auth/middleware.ts';
import { SignInSessions, SignInThrottle } from './api/auth/sessions.ts';
import { ShareLinks } from './api/auth/share-links.ts';
import { FeatureCatalog } from './api/features/catalog.ts';
import { createAccountRouter } from './api/routes/account.ts';
import { createFeaturesRouter } from './api/routes/features.ts';
import { createQualityRouter } from './api/routes/quality.ts';
import { createAuthRouter } from './api/routes/auth.ts';
import { createProductsRouter } from './api/routes/products.ts';
import { createQueryRouter } from './api/routes/query.ts';
import { createShareRouter } from './api/routes/share.ts';
import { createSitesRouter } from './api/routes/sites.ts';
import { createUsersRouter } from './api/routes/users.ts';
import { createAdminRouter } from './routes/admin.ts';
import { createWebApp } from './routes/web-app.ts';

export interface Dashboard {
  /** Sessions and the dashboard's API; other parts' session-based routes mount after these, then webApp. */
  middleware: Middleware<any, any>[];
  /** The single-page app: last, it answers every other GET. */
  webApp: Middleware<any, any>;
  accounts: AccountStore;
  access: Access;
  /** Every route of the dashboard API, for the access tests that walk them all. */
  routes: { method: string; path: string }[];
}

/** The dashboard role: accounts and sign-in, management API, reports API, and the CLI's admin API. */
export function createDashboard(cfg: Config, services: Services, registry: Registry): Dashboard {
  const accounts = new AccountStore(services.ch);
  const shares = new ShareLinks(services.ch);
  const access = new Access(accounts, registry, shares);
  const sessions = new SignInSessions(services.redis, services.prefix);
  const throttle = new SignInThrottle(services.redis, services.prefix);
  const adminToken = ensureAdminToken(cfg.dataDir);
  const routers = [
    createAuthRouter({ accounts, sessions, throttle }),
    createAccountRouter({ accounts, sessions, access }),
    createUsersRouter({ accounts }),
    createSitesRouter({ registry, accounts, access, shares }),
    createProductsRouter({ registry, accounts, access }),
    createFeaturesRouter({ catalog: new FeatureCatalog(services.ch), access }),
    createQualityRouter({ ch: services.ch, redis: services.redis, prefix: services.prefix, access }),
    createAdminRouter(registry, adminToken, accounts),
    createQueryRouter({ ch: services.ch, registry, authorize: access.authorize, concurrency: cfg.clickhouse.url ? 4 : 1,
      ...(cfg.query.sampleAbove ? { sampleAbove: cfg.query.sampleAbove } : {}) }),
    createShareRouter({ shares, registry }),
  ];
  return {
    // The web app comes last, routes only: its catch-all GET serves index.html for the app's own paths.
    middleware: [loadAccount(sessions, accounts), ...routers.flatMap((r) => [r.routes(), r.allowedMethods()])],
    webApp: createWebApp(),
    accounts,
    access,
    routes: routers.flatMap((r) => r.stack.flatMap((layer) => layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: String(layer.path) })))),
  };
}
