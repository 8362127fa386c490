import Router from '@koa/router';
import { queryRows, type ClickHouseClient } from '../../core/clickhouse.ts';
import { ownOrigin } from '../../core/http.ts';
import type { Registry } from '../../core/registry.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * GET /: what a newcomer needs to see that events arrive: each site with its snippet and its last 24 hours, each
 * product with its last 24 hours. The full reports come with the dashboard (issue 3).
 */
export function createStatusPageRouter(ch: ClickHouseClient, registry: Registry): Router {
  const router = new Router();
  router.get('/', async (ctx) => {
    const [sites, products] = await Promise.all([registry.listSites(), registry.listProducts()]);
    const web = await queryRows<{ site_id: string; events: string; visitors: string }>(ch,
      `SELECT site_id, count() AS events, uniq(visitor_id) AS visitors FROM events
       WHERE site_id IN {ids:Array(String)} AND timestamp > now64(3) - INTERVAL 1 DAY GROUP BY site_id`, { ids: sites.map((s) => s.siteId) });
    const app = await queryRows<{ product_id: string; events: string; installs: string }>(ch,
      `SELECT product_id, count() AS events, uniq(install_id) AS installs FROM product_events
       WHERE product_id IN {ids:Array(String)} AND timestamp > now64(3) - INTERVAL 1 DAY GROUP BY product_id`, { ids: products.map((p) => p.productId) });
    const origin = ownOrigin(ctx);
    const siteRows = sites.map((s) => {
      const w = web.find((r) => r.site_id === s.siteId);
      const tag = `<script defer data-domain="${s.domain}" src="${origin}/t.js"></script>`;
      return `<tr><td>${esc(s.domain)}</td><td>${w?.visitors ?? 0}</td><td>${w?.events ?? 0}</td><td><code>${esc(tag)}</code></td></tr>`;
    }).join('');
    const productRows = products.map((p) => {
      const a = app.find((r) => r.product_id === p.productId);
      return `<tr><td>${esc(p.name)}</td><td>${a?.installs ?? 0}</td><td>${a?.events ?? 0}</td></tr>`;
    }).join('');
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Vigil</title><style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:12px;word-break:break-all}</style></head>
<body><h1>Vigil</h1><h2>Sites (last 24 hours)</h2>
<table><tr><th>Domain</th><th>Visitors</th><th>Events</th><th>Snippet</th></tr>${siteRows || '<tr><td colspan="4">No sites yet: <code>npx vigil site add example.com</code></td></tr>'}</table>
<h2>Products (last 24 hours)</h2><table><tr><th>Product</th><th>Installs</th><th>Events</th></tr>${productRows || '<tr><td colspan="3">No products yet: <code>npx vigil product add "My App"</code></td></tr>'}</table>
</body></html>`;
  });
  return router;
}
