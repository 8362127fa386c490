/**
 * The floor for the collector benchmark: the least a collector with a durable acknowledgement can do. It reads the
 * body, JSON.parses it, appends it to a Redis stream (one XADD per event, auto-pipelined, on its own append-only
 * redis-server started like Vigil's) and answers 202 once Redis has it. No validation, enrichment, visitor or visit
 * state, and no worker. FLOOR_KOA=1 serves it through Koa + @koa/router (Vigil's stack), otherwise through node:http.
 * Env: PORT, FLOOR_DIR (the redis-server's data directory). Prints "ready <port> <redis pid>"; exits on SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { connectRedis } from '../../core/redis.ts';
import { startPrivateRedis } from '../../core/redis-server.ts';

const ACCEPTED = JSON.stringify({ ok: true });
const port = Number(process.env.PORT ?? 0);
const useKoa = process.env.FLOOR_KOA === '1';

const privateRedis = await startPrivateRedis(process.env.FLOOR_DIR ?? 'floor-redis');
const redis = connectRedis({ url: privateRedis.url, resendUnfulfilled: false });
await redis.connect();

const readBody = (req: IncomingMessage) => new Promise<string>((resolve, reject) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  req.on('error', reject);
});

/** Parses and appends; the status to answer. */
async function accept(body: string): Promise<number> {
  try {
    JSON.parse(body);
  } catch {
    return 400;
  }
  await redis.xadd('floor:ingest', '*', 'd', body);
  return 202;
}

let server;
if (useKoa) {
  const app = new Koa();
  const router = new Router();
  router.post('/api/event', async (ctx) => {
    ctx.status = await accept(await readBody(ctx.req));
    ctx.body = ctx.status === 202 ? { ok: true } : { error: 'request body is not valid JSON' };
  });
  app.use(router.routes());
  server = createServer(app.callback());
} else {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readBody(req).then(accept).then((status) => {
      const body = status === 202 ? ACCEPTED : '{"error":"request body is not valid JSON"}';
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, () => { res.statusCode = 503; res.end(); });
  });
}
server.keepAliveTimeout = 5000;

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as { port: number }).port} ${privateRedis.process.pid}`);
});
process.on('SIGTERM', () => {
  server.close(() => { redis.disconnect(); void privateRedis.stop().then(() => process.exit(0)); });
  server.closeAllConnections();
});
