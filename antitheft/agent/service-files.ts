import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

// A newline or control character would end the line and let a path add directives of its own.
const Path = z.string().min(1).startsWith('/', 'must be an absolute path').regex(/^[^\x00-\x1f\x7f]*$/, 'must not hold control characters');
export const ServiceOptions = z.object({
  nodePath: Path,
  agentPath: Path,
  stateDir: Path,
  /** systemd only: the account the agent runs as (root when absent, which the camera and GeoClue usually need). */
  user: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i, 'is not a user name').max(32).optional(),
  /** launchd only. */
  label: z.string().regex(/^[A-Za-z0-9._-]+$/, 'is not a launchd label').default('com.vigil.agent'),
  /** Options for node itself, placed before the agent's path (e.g. --max-old-space-size=64). */
  nodeFlags: z.array(z.string().regex(/^-[^\x00-\x1f\x7f]*$/, 'must be a node option')).default([]),
});
export type ServiceOptions = z.input<typeof ServiceOptions>;
export type Run = (argv: string[]) => unknown; // may return a promise: it is awaited

/** systemd: in "..." only \ and " need a backslash; % starts a specifier and $ a variable everywhere, so both are doubled. */
const execArg = (s: string) => `"${s.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
const pathArg = (s: string) => `"${s.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`; // no variables in ReadWritePaths
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/**
 * A systemd system unit: starts at boot once the network is up, restarts if it dies, and may write only its state
 * directory. No PrivateDevices= or RestrictAddressFamilies=: the camera (/dev/video*) and raw traceroute probes need both.
 */
export function renderSystemdUnit(opts: ServiceOptions): string {
  const o = ServiceOptions.parse(opts);
  const exec = [...[o.nodePath, ...o.nodeFlags, o.agentPath].map(execArg), 'run', '--state', execArg(o.stateDir)];
  return `[Unit]
Description=Vigil anti-theft agent
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${exec.join(' ')}
${o.user ? `User=${o.user}\n` : ''}Restart=always
RestartSec=30
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=${pathArg(o.stateDir)}
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;
}

/** A launchd daemon (macOS): runs at load, kept alive, its errors logged in the state directory. */
export function renderLaunchdPlist(opts: ServiceOptions): string {
  const o = ServiceOptions.parse(opts);
  const args = [o.nodePath, ...o.nodeFlags, o.agentPath, 'run', '--state', o.stateDir].map((a) => `    <string>${xml(a)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(o.label)}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>StandardErrorPath</key>
  <string>${xml(join(o.stateDir, 'agent.log'))}</string>
</dict>
</plist>
`;
}

/** Where the service file goes, the commands that start it at boot, stop it, and tell the service manager it is gone. */
export interface ServicePaths { file: string; enable: string[][]; disable: string[][]; afterRemove: string[][] }

export function servicePaths(platform: NodeJS.Platform, label = 'com.vigil.agent'): ServicePaths {
  if (platform === 'linux') {
    return { file: '/etc/systemd/system/vigil-agent.service',
      enable: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'vigil-agent.service']],
      disable: [['systemctl', 'disable', '--now', 'vigil-agent.service']], afterRemove: [['systemctl', 'daemon-reload']] };
  }
  if (platform === 'darwin') {
    const file = `/Library/LaunchDaemons/${label}.plist`;
    return { file, enable: [['launchctl', 'bootstrap', 'system', file]], disable: [['launchctl', 'bootout', 'system', file]], afterRemove: [] };
  }
  throw new Error(`install-service supports Linux (systemd) and macOS (launchd), not ${platform}: start "vigil-agent run" at boot yourself`);
}

const runSystem: Run = (argv) => {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  if (r.error || r.status !== 0) throw new Error(`${argv.join(' ')} failed${r.error ? `: ${r.error.message}` : ` (exit ${r.status})`}`);
};

/** Where a service file is written: `root` is "/" for real, a temp directory in tests. */
export interface ServiceEnv { root?: string; run?: Run; os?: NodeJS.Platform }

async function runAll(run: Run, cmds: string[][], ignoreErrors: boolean): Promise<string[]> {
  const failed: string[] = [];
  for (const argv of cmds) {
    try { await run(argv); } catch (err) { if (!ignoreErrors) throw err; failed.push((err as Error).message); }
  }
  return failed;
}

/** Writes the service file and starts it; over an earlier install it stops that one first, so the new file is what runs. */
export async function installService(opts: ServiceOptions, { root = '/', run = runSystem, os = process.platform }: ServiceEnv = {}): Promise<string> {
  const o = ServiceOptions.parse(opts);
  const paths = servicePaths(os, o.label);
  const content = os === 'linux' ? renderSystemdUnit(o) : renderLaunchdPlist(o);
  const file = join(root, paths.file);
  if (existsSync(file)) await runAll(run, paths.disable, true);
  // systemd cannot set up ReadWritePaths= for a directory that does not exist, and the service would never start.
  mkdirSync(join(root, o.stateDir), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
  await runAll(run, paths.enable, false);
  return `Installed ${paths.file}; the agent now starts at boot.`;
}

/** Stops the service and removes its file; a service that was not running does not stop the removal. */
export async function uninstallService(opts: Partial<ServiceOptions> = {}, { root = '/', run = runSystem, os = process.platform }: ServiceEnv = {}): Promise<string> {
  const paths = servicePaths(os, opts.label ?? 'com.vigil.agent');
  const file = join(root, paths.file);
  if (!existsSync(file)) return `${paths.file} is not installed.`;
  const failed = await runAll(run, paths.disable, true);
  rmSync(file, { force: true });
  failed.push(...(await runAll(run, paths.afterRemove, true)));
  return `Removed ${paths.file}.${failed.length ? ` (${failed.join('; ')})` : ''}`;
}
