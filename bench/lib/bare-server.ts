/**
 * The baseline for the collector benchmark: a bare node:http server that reads the body, JSON.parses it and answers
 * 202 with the collector's body. Run as its own process (PORT env), like the platform, so both get the same CPU share.
 * Prints "ready <port>" once listening; exits on SIGTERM.
 */
import { createServer } from 'node:http';

const ACCEPTED = JSON.stringify({ ok: true });
const port = Number(process.env.PORT ?? 0);

const server = createServer({ keepAliveTimeout: 5000, requestTimeout: 30_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let status = 202;
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      status = 400;
    }
    const body = status === 202 ? ACCEPTED : '{"error":"request body is not valid JSON"}';
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.listen(port, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
