import { parseArgs } from 'node:util';
import { demoOptions, type DemoOptions, type DemoProgress, type DemoResult } from './generate.ts';

/**
 * The `vigil demo` command's client side: options from the command line, a one-line progress bar on stderr while the
 * platform (running, or served in-process by the CLI) generates, then a summary on stdout.
 */

/** What the command needs from the CLI's manager: a POST answered with newline-delimited JSON. */
export interface DemoClient {
  stream(path: string, body: unknown, onLine: (line: any) => void): Promise<any>;
}

/** Options from `--events 3000000 --months 6 --domain demo.vigil.example`; throws DemoError on a bad value. */
export function demoArgs(args: string[]): DemoOptions {
  const { values } = parseArgs({ args, allowPositionals: false, strict: true,
    options: { events: { type: 'string' }, months: { type: 'string' }, domain: { type: 'string' } } });
  return demoOptions({ events: values.events?.replace(/[_,]/g, ''), months: values.months, domain: values.domain });
}

const months = (n: number) => `${n} month${n === 1 ? '' : 's'}`;
const millions = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));

export interface ProgressBar { update(p: DemoProgress): void; finish(): void }

/** A single redrawn line on a terminal; elsewhere (logs, CI) a line every 10%. */
export function progressBar(out: NodeJS.WriteStream = process.stderr, width = 30): ProgressBar {
  const started = Date.now();
  let lastDecile = -1;
  let drawn = false;
  return {
    update({ done, total }) {
      const share = total > 0 ? Math.min(1, done / total) : 0;
      const secs = Math.round((Date.now() - started) / 1000);
      const text = total === 0 ? 'preparing…' : `${millions(done)} / ${millions(total)} events`;
      if (out.isTTY) {
        const full = Math.round(share * width);
        out.write(`\r  [${'█'.repeat(full)}${'░'.repeat(width - full)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${text}  ${secs}s\x1b[K`);
        drawn = true;
      } else if (total > 0 && Math.floor(share * 10) > lastDecile) {
        lastDecile = Math.floor(share * 10);
        out.write(`  ${lastDecile * 10}%  ${text}  ${secs}s\n`);
      }
    },
    finish() { if (drawn) out.write('\n'); },
  };
}

export function summary(r: DemoResult, n: number): string {
  const products = r.products.map((p) => `${p.name} (${millions(p.events)} events)`).join(' and ');
  return [
    `Demo data ready in ${r.seconds} s: ${r.site.domain} has ${millions(r.events)} events (${millions(r.visits)} visits) over ${months(n)};`,
    `products ${products}. Open the dashboard and pick ${r.site.domain}; \`vigil demo\` again replaces this data.`,
  ].join('\n');
}

/** Runs the command; the caller opens and closes the client. */
export async function runDemoCommand(client: DemoClient, opts: DemoOptions, out: NodeJS.WriteStream = process.stderr): Promise<DemoResult> {
  out.write(`Generating about ${millions(opts.events)} events over ${months(opts.months)} for ${opts.domain} and two demo products…\n`);
  const bar = progressBar(out);
  try {
    return (await client.stream('/demo', opts, (line: DemoProgress) => { if (typeof line.done === 'number') bar.update(line); })) as DemoResult;
  } finally {
    bar.finish();
  }
}
