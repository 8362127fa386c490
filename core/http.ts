import type { Context, Middleware } from 'koa';
import { ZodError, type ZodType } from 'zod';
import { HttpError, badRequest, payloadTooLarge } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * Maps errors to JSON answers. Client mistakes (HttpError) are answered as they are; anything else is logged and
 * becomes a plain 500 without internals. Koa's own client errors (e.g. a bad URI) keep their 4xx.
 */
export function errorMiddleware(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // koa-router's answer to a wrong method is plain text; say it in the API's words, keeping its Allow header.
      if (ctx.status === 405 && typeof ctx.body !== 'object') {
        ctx.body = { error: `${ctx.method} is not allowed here; allowed: ${ctx.response.get('Allow') || 'none'}`, code: 'method_not_allowed' };
      }
    } catch (err) {
      if (err instanceof ZodError) {
        const issue = err.issues[0]!;
        const field = issue.path.map(String).join('.') || undefined;
        ctx.status = 400;
        ctx.body = { error: field ? `${field}: ${issue.message}` : issue.message, code: 'invalid_request', ...(field ? { field } : {}) };
        return;
      }
      if (err instanceof HttpError) {
        ctx.status = err.status;
        ctx.set(err.headers);
        ctx.body = { error: err.message, code: err.code, ...(err.field ? { field: err.field } : {}) };
        return;
      }
      const status = (err as { status?: number; expose?: boolean }).status;
      if (status && status >= 400 && status < 500) {
        ctx.status = status;
        ctx.body = { error: (err as Error).message, code: 'invalid_request' };
        return;
      }
      log.error({ err, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: 'internal error', code: 'internal' };
    }
  };
}

/** Reads the body as text, refusing more than `limit` bytes (413) without buffering the rest. */
export async function readBody(ctx: Context, limit: number): Promise<string> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > limit) {
    ctx.set('Connection', 'close');
    throw payloadTooLarge(limit);
  }
  // Listeners rather than `for await`: the async iterator costs an object, a stream finisher and a promise per chunk
  // on the collector's hottest path (a few percent of its CPU per event).
  const req = ctx.req;
  if (req.readableEnded) return Promise.resolve(''); // nothing left to read (never waits for an 'end' that has been)
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err: Error | null) => {
      req.off('data', onData).off('end', onEnd).off('error', done).off('close', onClose);
      if (err) reject(err); else resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        ctx.set('Connection', 'close'); // stop reading; the client gets its 413 and the socket closes after it
        req.pause();
        done(payloadTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(null);
    // 'close' before 'end': the client went away mid-body.
    const onClose = () => done(badRequest('the request body was cut off'));
    req.on('data', onData).on('end', onEnd).on('error', done).on('close', onClose);
  });
}

/** Reads and parses a JSON body (any content type: sendBeacon sends text/plain). */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  const text = await readBody(ctx, limit);
  if (text.trim() === '') throw badRequest('request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

/** Reads a JSON body and checks it against a schema; a mismatch becomes a 400 naming the field. */
export async function readBodyAs<T>(ctx: Context, schema: ZodType<T>, limit = 64 * 1024): Promise<T> {
  return schema.parse(await readJson(ctx, limit));
}

/** This server's own origin as the client sees it (Koa 3's ctx.origin is the request's Origin header instead). */
export function ownOrigin(ctx: Context): string {
  return `${ctx.protocol}://${ctx.host}`;
}
