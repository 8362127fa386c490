import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Context, Middleware } from 'koa';

/** Where `npm run build:web` (vite build) writes the dashboard's single-page app. */
export const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

/** Paths that belong to the server, never to the app: they keep their own 404s. */
const SERVER_PATHS = /^\/(?:api|internal)(?:\/|$)|^\/t\.js$|^\/healthz$/;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.txt', '.map']);

/** The page's own rules: scripts and data from this origin only; share secrets never leave in a Referer. */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    + "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
};

const NOT_BUILT = '<!doctype html><meta charset="utf-8"><title>Vigil</title><p>The dashboard is not built yet: run <code>npm run build</code>, then reload.</p>';

interface Cached { mtimeMs: number; raw: Buffer; gz: Buffer | null }

/**
 * Serves the built dashboard (dashboard/web/dist): hashed assets with a year-long immutable cache, and index.html
 * (never cached) for every other GET that is not the server's own (the app routes in the browser). Files are read
 * once per build and gzipped in memory. A missing build is a one-line page saying how to build it, not a crash.
 * Mount it last. A plain middleware, not a router: a catch-all GET route would join every request's koa-router
 * match list and make the API's routers think GET is allowed everywhere (no 405 for a wrong method).
 */
export function createWebApp(dist = WEB_DIST): Middleware {
  const cache = new Map<string, Cached>();
  const load = async (file: string): Promise<Cached | null> => {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return null;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === info.mtimeMs) return hit;
    const raw = await readFile(file);
    const entry = { mtimeMs: info.mtimeMs, raw, gz: COMPRESSIBLE.has(extname(file)) && raw.length > 1024 ? gzipSync(raw) : null };
    cache.set(file, entry);
    return entry;
  };
  const send = (ctx: Context, file: string, entry: Cached) => {
    ctx.type = TYPES[extname(file)] ?? 'application/octet-stream';
    ctx.vary('Accept-Encoding');
    if (entry.gz && ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = entry.gz;
    } else {
      ctx.body = entry.raw;
    }
  };

  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || SERVER_PATHS.test(ctx.path)) return next();
    // A file of the build (only under dist, whatever the path says)?
    let decoded: string;
    try { decoded = decodeURIComponent(ctx.path); } catch { ctx.status = 400; ctx.type = 'text/plain'; ctx.body = 'bad path'; return; }
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    const file = join(dist, rel);
    if (rel && file.startsWith(dist + sep) && !rel.endsWith('index.html')) {
      const asset = await load(file);
      if (asset) {
        ctx.set('Cache-Control', rel.startsWith(`assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
        send(ctx, file, asset);
        return;
      }
      // A missing hashed asset (an old page after a rebuild) is a real 404, not the app.
      if (rel.startsWith(`assets${sep}`)) { ctx.status = 404; ctx.type = 'text/plain'; ctx.body = 'not found'; return; }
    }
    ctx.set(PAGE_HEADERS);
    ctx.set('Cache-Control', 'no-cache');
    const index = await load(join(dist, 'index.html'));
    if (!index) { ctx.type = 'html'; ctx.body = NOT_BUILT; return; }
    send(ctx, 'index.html', index);
  };
}
