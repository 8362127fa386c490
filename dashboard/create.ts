import type { Middleware } from 'koa';
import { ensureAdminToken } from '../core/admin-token.ts';
import type { Config } from '../core/config.ts';
import type { Registry } from '../core/registry.ts';
import type { Services } from '../core/services.ts';
import { createAdminRouter } from './routes/admin.ts';
import { createStatusPageRouter } from './routes/status-page.ts';

/** The dashboard role's routes. */
export function createDashboard(cfg: Config, services: Services, registry: Registry): Middleware<any, any>[] {
  const admin = createAdminRouter(registry, ensureAdminToken(cfg.dataDir));
  const status = createStatusPageRouter(services.ch, registry);
  return [admin.routes(), admin.allowedMethods(), status.routes(), status.allowedMethods()];
}
