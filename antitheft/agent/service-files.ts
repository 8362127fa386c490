import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ServiceOptions { nodePath: string; agentPath: string; stateDir: string }
export type Run = (argv: string[]) => void;

const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A systemd system unit: starts at boot, restarts if it dies, and may write only its state directory. */
export function renderSystemdUnit(o: ServiceOptions): string {
  return `[Unit]
Description=Vigil anti-theft agent
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${q(o.nodePath)} ${q(o.agentPath)} run --state ${q(o.stateDir)}
Restart=always
RestartSec=30
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=${q(o.stateDir)}
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
`;
}

/** A launchd daemon (macOS): runs at load, kept alive, its errors logged in the state directory. */
export function renderLaunchdPlist(o: ServiceOptions, label = 'com.vigil.agent'): string {
  const args = [o.nodePath, o.agentPath, 'run', '--state', o.stateDir].map((a) => `    <string>${xml(a)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(label)}</string>
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

export interface ServicePlan { file: string; content: string; enable: string[][]; disable: string[][] }

export function servicePlan(o: ServiceOptions, os: NodeJS.Platform = process.platform): ServicePlan {
  if (os === 'linux') {
    return { file: '/etc/systemd/system/vigil-agent.service', content: renderSystemdUnit(o),
      enable: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'vigil-agent.service']],
      disable: [['systemctl', 'disable', '--now', 'vigil-agent.service'], ['systemctl', 'daemon-reload']] };
  }
  if (os === 'darwin') {
    const file = '/Library/LaunchDaemons/com.vigil.agent.plist';
    return { file, content: renderLaunchdPlist(o), enable: [['launchctl', 'bootstrap', 'system', file]], disable: [['launchctl', 'bootout', 'system', file]] };
  }
  throw new Error(`install-service supports Linux (systemd) and macOS (launchd), not ${os}: start "vigil-agent run" at boot yourself`);
}

const runSystem: Run = (argv) => {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
  if (r.error || r.status !== 0) throw new Error(`${argv.join(' ')} failed${r.error ? `: ${r.error.message}` : ` (${r.status})`}`);
};

/** Writes the unit (under `root`, "/" for real) and enables it; `run` is injectable so tests render without touching the system. */
export async function installService(o: ServiceOptions, { root = '/', run = runSystem, os = process.platform }: { root?: string; run?: Run; os?: NodeJS.Platform } = {}): Promise<string> {
  const plan = servicePlan(o, os);
  const file = join(root, plan.file);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, plan.content, { mode: 0o644 });
  for (const argv of plan.enable) run(argv);
  return `Installed ${plan.file}; the agent now starts at boot.`;
}

export async function uninstallService(o: ServiceOptions, { root = '/', run = runSystem, os = process.platform }: { root?: string; run?: Run; os?: NodeJS.Platform } = {}): Promise<string> {
  const plan = servicePlan(o, os);
  const file = join(root, plan.file);
  if (existsSync(file)) for (const argv of plan.disable) run(argv);
  rmSync(file, { force: true });
  return `Removed ${plan.file}.`;
}
