import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard's single-page app. `npm run build:web` writes dist/, which dashboard/routes/web-app.ts serves.
 * `npx vite --config dashboard/web/vite.config.ts` serves it with hot reload, proxying the API to a running Vigil
 * (VIGIL_URL, default http://127.0.0.1:8000).
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: Object.fromEntries(['/api', '/t.js', '/healthz'].map((p) => [p, { target: process.env.VIGIL_URL ?? 'http://127.0.0.1:8000', changeOrigin: false }])),
  },
});
