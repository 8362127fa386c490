import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { AGENT_BUNDLE } from '../api/agent-download.ts';
import { VIGIL_AGENT_VERSION } from './version.ts';

/**
 * `npm run build:agent`: the agent as one ES module file for Node 20+ with its few dependencies (zod, fflate,
 * canonicalize) inside, so a computer needs nothing but Node to run it. The dashboard serves this file.
 */
export async function buildAgent(outfile = AGENT_BUNDLE): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    // The version line is what the download route reads (agent-download.ts); the minifier may inline the constant.
    banner: { js: `#!/usr/bin/env node\n// VIGIL_AGENT_VERSION = "${VIGIL_AGENT_VERSION}"` },
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`built ${await buildAgent()}`);
}
