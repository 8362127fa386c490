/**
 * Builds the browser tracker: minifies src/t.js with esbuild and enforces the
 * gzip size budget. Used at collector startup (collector/routes/snippet.ts) and
 * from the command line:
 *
 *   node --import tsx tracker-snippet/build.ts   # writes tracker-snippet/dist/t.js
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';

/** Maximum size of the minified snippet after gzip, in bytes. */
export const SNIPPET_GZIP_BUDGET = 1024;

const here = dirname(fileURLToPath(import.meta.url));
export const SNIPPET_SOURCE = join(here, 'src', 't.js');
export const SNIPPET_DIST = join(here, 'dist', 't.js');

export interface SnippetBuild {
  code: string;
  gzipBytes: number;
}

/** Gzipped size in bytes, at the level the collector serves (9). */
export function gzipSize(code: string): number {
  return gzipSync(Buffer.from(code), { level: 9 }).length;
}

/**
 * Minifies the snippet (ES2017) and checks its gzipped size.
 * `budget` exists for tests; production always uses SNIPPET_GZIP_BUDGET.
 * @throws Error naming the size when the snippet is over budget.
 */
export async function buildSnippet(
  options: { budget?: number } = {},
): Promise<SnippetBuild> {
  const budget = options.budget ?? SNIPPET_GZIP_BUDGET;
  const source = await readFile(SNIPPET_SOURCE, 'utf8');
  const result = await transform(source, {
    loader: 'js',
    minify: true,
    target: 'es2017',
    legalComments: 'none',
    charset: 'utf8',
    sourcefile: 't.js',
  });
  const code = result.code.trimEnd();
  const gzipBytes = gzipSize(code);
  if (gzipBytes > budget) {
    throw new Error(
      `tracker snippet is ${gzipBytes} bytes gzipped, over the ${budget}-byte budget`,
    );
  }
  return { code, gzipBytes };
}

async function main(): Promise<void> {
  const { code, gzipBytes } = await buildSnippet();
  await mkdir(dirname(SNIPPET_DIST), { recursive: true });
  await writeFile(SNIPPET_DIST, code + '\n');
  console.log(
    `tracker-snippet/dist/t.js: ${Buffer.byteLength(code)} bytes, ` +
      `${gzipBytes} bytes gzipped (budget ${SNIPPET_GZIP_BUDGET})`,
  );
}

const invokedDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
