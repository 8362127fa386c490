/**
 * Serves the browser tracker snippet (tracker-snippet/src/t.js, minified).
 *
 * The snippet is built once at startup; the identity and gzip bodies are
 * computed once and served from memory. Paths: GET/HEAD /t.js, plus
 * /js/script.js as an alias for Plausible-style embeds. Everything else is
 * passed on with next().
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Middleware } from 'koa';
import { buildSnippet } from '../../tracker-snippet/build.ts';

export const SNIPPET_PATHS: ReadonlySet<string> = new Set(['/t.js', '/js/script.js']);
export const SNIPPET_CACHE_CONTROL = 'public, max-age=3600, stale-while-revalidate=86400';

/** True when an If-None-Match header value matches one of the given ETags. */
function etagMatches(header: string | undefined, etags: readonly string[]): boolean {
  if (!header) return false;
  return header.split(',').some((raw) => {
    const tag = raw.trim().replace(/^W\//, ''); // If-None-Match uses weak comparison
    return tag === '*' || etags.includes(tag);
  });
}

export async function createSnippetRoute(): Promise<Middleware> {
  const { code } = await buildSnippet();
  const identity = Buffer.from(code, 'utf8');
  const gzipped = gzipSync(identity, { level: 9 });
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 32);
  // Each encoding is a different representation, so each gets its own strong
  // ETag (as Apache does); either one proves the client holds this code.
  const etagIdentity = `"${hash}"`;
  const etagGzip = `"${hash}-gz"`;
  const etags = [etagIdentity, etagGzip] as const;

  return async (ctx, next) => {
    if (!SNIPPET_PATHS.has(ctx.path) || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
      return next();
    }
    const gzip = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';

    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', SNIPPET_CACHE_CONTROL);
    ctx.set('Vary', 'Accept-Encoding');
    ctx.set('ETag', gzip ? etagGzip : etagIdentity);

    if (etagMatches(ctx.get('If-None-Match') || undefined, etags)) {
      ctx.status = 304;
      return;
    }

    ctx.set('Content-Type', 'application/javascript; charset=utf-8');
    if (gzip) ctx.set('Content-Encoding', 'gzip');
    ctx.status = 200;
    ctx.body = gzip ? gzipped : identity;
  };
}
