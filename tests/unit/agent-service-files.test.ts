import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installService, renderLaunchdPlist, renderSystemdUnit, servicePaths, uninstallService } from '../../antitheft/agent/service-files.ts';

const o = { nodePath: '/usr/bin/node', agentPath: '/opt/vigil agent/vigil-agent.mjs', stateDir: '/var/lib/vigil-agent' };

/** The plist's <string> values in order, unescaped: enough XML to check structure without a parser dependency. */
function plistStrings(xml: string): string[] {
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<!DOCTYPE plist [^>]+>\n<plist version="1.0">\n<dict>[\s\S]*<\/dict>\n<\/plist>\n$/);
  const body = xml.replace(/^<\?xml[^>]*>\n<!DOCTYPE[^>]*>\n/, '');
  assert.doesNotMatch(body.replace(/<\/?[a-zA-Z]+\/?>|<plist version="1.0">/g, ''), /[<>]|&(?!amp;|lt;|gt;|quot;|apos;)/, 'no raw markup characters in values');
  return [...body.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
}

describe('agent service files', () => {
  it('renders a systemd unit that runs the agent with quoted paths and may write only its state', () => {
    const unit = renderSystemdUnit(o);
    assert.match(unit, /^ExecStart="\/usr\/bin\/node" "\/opt\/vigil agent\/vigil-agent\.mjs" run --state "\/var\/lib\/vigil-agent"$/m);
    for (const line of ['Description=Vigil anti-theft agent', 'After=network-online.target', 'Wants=network-online.target', 'Restart=always',
      'RestartSec=30', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ReadWritePaths="/var/lib/vigil-agent"', 'PrivateTmp=yes', 'WantedBy=multi-user.target']) {
      assert.ok(unit.split('\n').includes(line), line);
    }
    assert.doesNotMatch(unit, /PrivateDevices|User=/, 'the camera stays reachable; root unless asked');
    assert.match(renderSystemdUnit({ ...o, user: 'vigil' }), /^User=vigil$/m);
  });

  it('escapes what systemd would otherwise read as quotes, specifiers or variables', () => {
    const unit = renderSystemdUnit({ ...o, agentPath: '/opt/a"b\\c/100%/$HOME.mjs', stateDir: '/var/lib/v%i' });
    assert.match(unit, /^ExecStart="\/usr\/bin\/node" "\/opt\/a\\"b\\\\c\/100%%\/\$\$HOME\.mjs" run --state "\/var\/lib\/v%%i"$/m);
    assert.match(unit, /^ReadWritePaths="\/var\/lib\/v%%i"$/m);
    assert.throws(() => renderSystemdUnit({ ...o, stateDir: '/tmp/x\nExecStartPre=/bin/evil' }), /control characters/);
    assert.throws(() => renderSystemdUnit({ ...o, agentPath: 'vigil-agent.mjs' }), /absolute path/);
  });

  it('passes node options before the agent', () => {
    const flags = { ...o, nodeFlags: ['--max-old-space-size=64'] };
    assert.match(renderSystemdUnit(flags), /^ExecStart="\/usr\/bin\/node" "--max-old-space-size=64" "\/opt\/vigil agent\/vigil-agent\.mjs" run/m);
    assert.deepEqual(plistStrings(renderLaunchdPlist(flags)).slice(1, 4), ['/usr/bin/node', '--max-old-space-size=64', '/opt/vigil agent/vigil-agent.mjs']);
  });

  it('renders a launchd plist with every value XML-escaped', () => {
    const plist = renderLaunchdPlist({ ...o, agentPath: '/Users/a&b/<agent>.mjs', stateDir: '/Library/Application Support/vigil "agent"' });
    assert.match(plist, /<string>\/Users\/a&amp;b\/&lt;agent&gt;\.mjs<\/string>/);
    assert.doesNotMatch(plist, /a&b|<agent>/);
    assert.deepEqual(plistStrings(plist), ['com.vigil.agent', '/usr/bin/node', '/Users/a&b/<agent>.mjs', 'run', '--state',
      '/Library/Application Support/vigil "agent"', '/Library/Application Support/vigil "agent"/agent.log']);
    assert.match(plist, /<key>ProgramArguments<\/key>\s*<array>\s*<string>/);
    assert.match(plist, /<key>RunAtLoad<\/key>\s*<true\/>/);
    assert.match(plist, /<key>KeepAlive<\/key>\s*<true\/>/);
    assert.match(plist, /<key>StandardErrorPath<\/key>\s*<string>\/Library\/Application Support\/vigil &quot;agent&quot;\/agent\.log<\/string>/);
    assert.equal(plistStrings(renderLaunchdPlist({ ...o, label: 'org.example.guard' }))[0], 'org.example.guard');
  });

  it('knows where each service manager keeps the file and how to start and stop it', () => {
    assert.deepEqual(servicePaths('linux'), { file: '/etc/systemd/system/vigil-agent.service',
      enable: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'vigil-agent.service']],
      disable: [['systemctl', 'disable', '--now', 'vigil-agent.service']], afterRemove: [['systemctl', 'daemon-reload']] });
    const plist = '/Library/LaunchDaemons/com.vigil.agent.plist';
    assert.deepEqual(servicePaths('darwin'), { file: plist, enable: [['launchctl', 'bootstrap', 'system', plist]],
      disable: [['launchctl', 'bootout', 'system', plist]], afterRemove: [] });
    assert.throws(() => servicePaths('win32'), /supports Linux \(systemd\) and macOS \(launchd\), not win32/);
  });

  it('installs into a root directory and runs the enable commands; uninstall stops it, removes it and reloads', async () => {
    for (const os of ['linux', 'darwin'] as const) {
      const root = mkdtempSync(join(tmpdir(), 'vigil-svc-'));
      const paths = servicePaths(os);
      const file = join(root, paths.file);
      const ran: string[][] = [];
      const run = (argv: string[]) => { ran.push(argv); };
      await installService(o, { root, os, run });
      assert.equal(readFileSync(file, 'utf8'), os === 'linux' ? renderSystemdUnit(o) : renderLaunchdPlist(o));
      assert.equal(statSync(file).mode & 0o777, 0o644);
      assert.equal(statSync(join(root, o.stateDir)).mode & 0o777, 0o700, 'the state directory exists for ReadWritePaths');
      assert.deepEqual(ran, paths.enable);

      ran.length = 0;
      await installService({ ...o, stateDir: '/var/lib/other' }, { root, os, run });
      assert.deepEqual(ran, [...paths.disable, ...paths.enable], 'a second install replaces the running one');
      assert.match(readFileSync(file, 'utf8'), /\/var\/lib\/other/);

      ran.length = 0;
      await uninstallService(o, { root, os, run });
      assert.equal(existsSync(file), false);
      assert.deepEqual(ran, [...paths.disable, ...paths.afterRemove]);
      assert.match(await uninstallService(o, { root, os, run }), /is not installed/);
    }
  });

  it('removes the file even when stopping the service fails (it was not loaded)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vigil-svc-'));
    await installService(o, { root, os: 'darwin', run: () => {} });
    const msg = await uninstallService(o, { root, os: 'darwin', run: () => { throw new Error('Boot-out failed: 3: No such process'); } });
    assert.equal(existsSync(join(root, servicePaths('darwin').file)), false);
    assert.match(msg, /Removed .*No such process/);
    await assert.rejects(installService(o, { root, os: 'linux', run: () => { throw new Error('systemctl failed'); } }), /systemctl failed/);
  });
});
