import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installService, renderLaunchdPlist, renderSystemdUnit, uninstallService } from '../../antitheft/agent/service-files.ts';

const o = { nodePath: '/usr/bin/node', agentPath: '/opt/vigil agent/vigil-agent.mjs', stateDir: '/var/lib/vigil-agent' };

describe('agent service files', () => {
  it('renders a systemd unit that runs the agent with quoted paths and may write only its state', () => {
    const unit = renderSystemdUnit(o);
    assert.match(unit, /^ExecStart="\/usr\/bin\/node" "\/opt\/vigil agent\/vigil-agent\.mjs" run --state "\/var\/lib\/vigil-agent"$/m);
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^ReadWritePaths="\/var\/lib\/vigil-agent"$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
  });

  it('renders a launchd plist with every value XML-escaped', () => {
    const plist = renderLaunchdPlist({ ...o, agentPath: '/Users/a&b/<agent>.mjs' });
    assert.match(plist, /<string>\/Users\/a&amp;b\/&lt;agent&gt;\.mjs<\/string>/);
    assert.doesNotMatch(plist, /a&b/);
    assert.match(plist, /<key>RunAtLoad<\/key>\s*<true\/>/);
    assert.match(plist, /<key>KeepAlive<\/key>\s*<true\/>/);
  });

  it('installs into a root directory and runs the enable commands; uninstall removes it', async () => {
    for (const [os, file, first] of [['linux', 'etc/systemd/system/vigil-agent.service', 'systemctl daemon-reload'],
      ['darwin', 'Library/LaunchDaemons/com.vigil.agent.plist', `launchctl bootstrap system /Library/LaunchDaemons/com.vigil.agent.plist`]] as const) {
      const root = mkdtempSync(join(tmpdir(), 'vigil-svc-'));
      const ran: string[] = [];
      await installService(o, { root, os, run: (argv) => ran.push(argv.join(' ')) });
      assert.equal(readFileSync(join(root, file), 'utf8'), os === 'linux' ? renderSystemdUnit(o) : renderLaunchdPlist(o));
      assert.equal(ran[0], first);
      await uninstallService(o, { root, os, run: (argv) => ran.push(argv.join(' ')) });
      assert.equal(existsSync(join(root, file)), false);
      assert.ok(ran.length >= 2);
    }
  });
});
