import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAgentConfig } from './config.ts';
import { AgentDaemon } from './daemon.ts';
import { enroll } from './enroll.ts';
import { installService, uninstallService } from './service-files.ts';
import { AgentState } from './state.ts';
import { statusLines } from './status.ts';
import { verifyCommand } from './verify.ts';
import { AGENT_VERSION } from './version.ts';

const HELP = `vigil-agent ${AGENT_VERSION}: the Vigil anti-theft agent

  vigil-agent enroll --server URL --code CODE [--name NAME]   enroll this computer with a code from the dashboard
  vigil-agent run                                            report location on schedule (what the service runs)
  vigil-agent status                                         state, fingerprints, last and next report, queue
  vigil-agent install-service | uninstall-service            start at boot (systemd on Linux, launchd on macOS)
  vigil-agent verify EXPORT                                  check an evidence export from the dashboard

Options: --state DIR (default /var/lib/vigil-agent as root, else ~/.local/state/vigil-agent)`;

function defaultStateDir(): string {
  if (process.getuid?.() === 0) return process.platform === 'darwin' ? '/Library/Application Support/vigil-agent' : '/var/lib/vigil-agent';
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'vigil-agent');
}

/** One JSON line per event on stderr: time, message and ids; never a position or an address. */
const log = (message: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: {
    server: { type: 'string' }, code: { type: 'string' }, name: { type: 'string' }, state: { type: 'string' }, help: { type: 'boolean' } } });
  const [command, arg] = positionals;
  if (!command || values.help || command === 'help') { console.log(HELP); return command ? 0 : 2; }
  const state = new AgentState(resolve(values.state ?? defaultStateDir()));
  if (command === 'enroll') {
    if (!values.server || !values.code) { console.error('enroll needs --server URL and --code CODE\n\n' + HELP); return 2; }
    const e = await enroll(state, values.server, values.code, values.name);
    console.log(`Enrolled as ${e.deviceId} with ${e.server}.`);
    console.log(`Device key fingerprint: ${e.deviceFingerprint}  (the dashboard shows the same)`);
    console.log(`Owner key fingerprint:  ${e.ownerKey.fingerprint}  (reports are sealed to this key: check it matches your dashboard)`);
    console.log(`Next: vigil-agent run (or install-service to start at boot). State: ${state.dir}`);
    return 0;
  }
  if (command === 'status') { for (const l of await statusLines(state, loadAgentConfig(state.dir))) console.log(l); return 0; }
  if (command === 'verify') {
    if (!arg) { console.error('verify needs the export file (the .zip from the dashboard) or its unpacked folder'); return 2; }
    return (await verifyCommand(arg, (l) => console.log(l))).ok ? 0 : 1;
  }
  if (command === 'install-service' || command === 'uninstall-service') {
    const opts = { nodePath: process.execPath, agentPath: resolve(process.argv[1]!), stateDir: state.dir };
    const done = command === 'install-service' ? await installService(opts) : await uninstallService(opts);
    console.log(done);
    return 0;
  }
  if (command === 'run') {
    if (!state.enrolled) { console.error(`Not enrolled (state directory ${state.dir}): run vigil-agent enroll first`); return 1; }
    const daemon = new AgentDaemon(state, loadAgentConfig(state.dir), log);
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => { log('stopping', { signal: s }); daemon.stop(); });
    const result = await daemon.run();
    log(result === 'forgotten' ? 'deactivated by the owner; keys and queue deleted' : 'stopped');
    return 0;
  }
  console.error(`Unknown command "${command}"\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
  console.error(`vigil-agent: ${(err as Error).message}`);
  process.exit(1);
});
