import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WEB_DIST } from '../dashboard/routes/web-app.ts';

const ROOT = join(import.meta.dirname, '..');

/** Builds the dashboard's web app once if it is missing (a fresh clone started without `npm run setup`). */
export function ensureWebBuilt(log: (message: string) => void): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  const vite = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    log('The dashboard is not built and Vite is not installed: run `npm run setup` (or `npm install && npm run build`).');
    return;
  }
  log('Building the dashboard web app (first start, about 20 s)...');
  const run = spawnSync(process.execPath, [vite, 'build', '--config', join(ROOT, 'dashboard/web/vite.config.ts'), '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) log('Building the dashboard failed; the API works, the web app will say how to build it.');
}
