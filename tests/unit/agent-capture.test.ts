import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { captureSnapshot, videoDevices } from '../../antitheft/agent/capture/camera.ts';
import { captureInterfaces, interfacesFingerprint } from '../../antitheft/agent/capture/interfaces.ts';
import { capturePosition, parseCommandOutput, parseCoreLocationJson, parseLocationJson, parseWhereAmI } from '../../antitheft/agent/capture/location.ts';
import { findProgram, runCommand, type Host } from '../../antitheft/agent/capture/run-command.ts';
import { captureTraceroute, parseTracepath, parseTraceroute } from '../../antitheft/agent/capture/traceroute.ts';

const TESTSRC = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1', '-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-'];
const node = (script: string) => [process.execPath, '-e', script];
const WHERE_AM_I = `Client object: /org/freedesktop/GeoClue2/Client/1

New location:
Latitude:    10.000000°
Longitude:   20.000000°
Accuracy:    5000.000000 meters

New location:
Latitude:    48.858370°
Longitude:   2.294481°
Accuracy:    20.000000 meters
Altitude:    35.000000 meters
Heading:     90.000000°
Timestamp:   Mon 03 Jun 2024 10:00:00 AM CEST (1717401600 seconds since the Epoch)
`;

describe('bounded commands', () => {
  it('returns stdout and the exit code, and feeds input on stdin', async () => {
    const r = await runCommand(node('process.stdin.pipe(process.stdout)'), { timeoutMs: 10_000, maxBytes: 1024, input: 'hello' });
    assert.deepEqual([r.ok, r.code, r.stdout.toString()], [true, 0, 'hello']);
    const bad = await runCommand(node('console.error("boom"); process.exit(3)'), { timeoutMs: 10_000, maxBytes: 1024 });
    assert.deepEqual([bad.ok, bad.code, bad.stderr], [false, 3, 'boom']);
    assert.match(bad.error!, /exited with 3: boom/);
  });

  it('kills a program that outlives its time limit, with what it started', async () => {
    const t0 = Date.now();
    const r = await runCommand(['sh', '-c', 'sleep 30 & echo $!; sleep 30'], { timeoutMs: 300, maxBytes: 1024 });
    assert.ok(Date.now() - t0 < 5000, 'did not wait for the grandchild');
    assert.equal(r.ok, false);
    assert.match(r.error!, /did not finish within 300 ms/);
    const grandchild = Number(r.stdout.toString().trim());
    // Gone, or a zombie waiting for init to reap it: either way no longer running.
    const state = () => { try { return readFileSync(`/proc/${grandchild}/stat`, 'utf8').split(') ')[1]![0]; } catch { return 'gone'; } };
    for (let i = 0; i < 50 && !['gone', 'Z'].includes(state()!); i++) await new Promise((res) => setTimeout(res, 20));
    assert.ok(['gone', 'Z'].includes(state()!), `the background sleep was killed too (state ${state()})`);
  });

  it('stops reading and kills a program that prints more than the limit', async () => {
    const r = await runCommand(node('setInterval(() => process.stdout.write("x".repeat(4096)), 1)'), { timeoutMs: 10_000, maxBytes: 10_000 });
    assert.equal(r.error, 'output larger than 10000 bytes');
    assert.ok(r.stdout.length <= 10_000);
  });

  it('says which program is missing instead of throwing', async () => {
    const r = await runCommand(['/nonexistent/tool', '-x'], { timeoutMs: 1000, maxBytes: 10 });
    assert.deepEqual([r.ok, r.code, r.error], [false, null, 'not found: /nonexistent/tool']);
    assert.equal((await runCommand([], { timeoutMs: 1000, maxBytes: 10 })).ok, false);
  });

  it('finds executables in PATH or by absolute path, never directories or plain files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-path-'));
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o755);
    writeFileSync(join(dir, 'plain'), '');
    mkdirSync(join(dir, 'adir'));
    assert.equal(findProgram(['missing', 'tool'], `/nonexistent:${dir}`), join(dir, 'tool'));
    assert.equal(findProgram(['plain', 'adir'], dir), null);
    assert.equal(findProgram([join(dir, 'tool')], ''), join(dir, 'tool'));
  });
});

describe('location', () => {
  it("reads GeoClue's where-am-i output, taking the last complete fix", () => {
    assert.deepEqual(parseWhereAmI(WHERE_AM_I), { lat: 48.85837, lon: 2.294481, accuracyM: 20 });
    assert.deepEqual(parseWhereAmI(`${WHERE_AM_I}\nNew location:\nLatitude:    1.000000°\n`), { lat: 48.85837, lon: 2.294481, accuracyM: 20 }, 'a cut-off block is not complete');
    assert.deepEqual(parseWhereAmI('Latitude:    48,858370°\nLongitude:   2,294481°\n'), { lat: 48.85837, lon: 2.294481, accuracyM: null }, 'decimal comma');
    assert.equal(parseWhereAmI('Latitude: 91.0°\nLongitude: 2.0°\n'), null, 'an impossible latitude is no position');
    assert.equal(parseWhereAmI(`${WHERE_AM_I}\nNew location:\nLatitude: 10.0°\nLongitude: 181.0°\n`), null, 'nor an earlier fix in its place');
    assert.equal(parseWhereAmI('Failed to connect to GeoClue2 service'), null);
  });

  it("reads CoreLocationCLI's JSON, with numbers as strings too", () => {
    assert.deepEqual(parseCoreLocationJson('{"latitude":"37.33","longitude":"-122.03","h_accuracy":"65","altitude":"12"}'), { lat: 37.33, lon: -122.03, accuracyM: 65 });
    assert.deepEqual(parseCoreLocationJson('{"latitude":37.33,"longitude":-122.03,"horizontalAccuracy":5}'), { lat: 37.33, lon: -122.03, accuracyM: 5 });
    assert.deepEqual(parseCoreLocationJson('{"latitude":1,"longitude":2,"h_accuracy":-1}'), { lat: 1, lon: 2, accuracyM: null }, 'negative means unknown');
    assert.equal(parseCoreLocationJson('{"latitude":"NaN","longitude":2}'), null);
  });

  it("reads a command's JSON with any of the usual key names, or where-am-i's text", () => {
    assert.deepEqual(parseLocationJson('{"lat":1,"lon":2}'), { lat: 1, lon: 2, accuracyM: null });
    assert.deepEqual(parseLocationJson('{"latitude":-33.9,"lng":151.2,"accuracyM":"30"}'), { lat: -33.9, lon: 151.2, accuracyM: 30 });
    assert.deepEqual(parseLocationJson('locating...\n{"lat":1,"longitude":2,"h_accuracy":7}\n'), { lat: 1, lon: 2, accuracyM: 7 });
    assert.equal(parseLocationJson('{"lat":1,"lon":200}'), null);
    assert.equal(parseLocationJson('{"lat":-90.5,"lon":0}'), null);
    assert.equal(parseLocationJson('not json'), null);
    assert.deepEqual(parseCommandOutput(WHERE_AM_I), { lat: 48.85837, lon: 2.294481, accuracyM: 20 });
    assert.deepEqual(parseCommandOutput(' {"lat":3,"lon":4,"accuracy":9}'), { lat: 3, lon: 4, accuracyM: 9 });
  });

  it('runs a configured location command, JSON or where-am-i text', async () => {
    const json = await capturePosition({ command: node('console.log(JSON.stringify({lat:48.85837,lon:2.294481,accuracy:20}))') });
    assert.equal(json.error, undefined);
    assert.deepEqual({ ...json.position, at: 0 }, { lat: 48.85837, lon: 2.294481, accuracyM: 20, source: 'command', at: 0 });
    assert.ok(Math.abs(json.position!.at - Date.now()) < 10_000);
    const text = await capturePosition({ command: node(`process.stdout.write(${JSON.stringify(WHERE_AM_I)})`) });
    assert.deepEqual([text.position?.lat, text.position?.lon, text.position?.accuracyM], [48.85837, 2.294481, 20]);
  });

  it('says why when there is no position, and never returns an impossible one', async () => {
    const missing = await capturePosition({ command: ['/nonexistent/where-am-i'] });
    assert.deepEqual([missing.position, missing.error], [null, 'not found: /nonexistent/where-am-i']);
    const wild = await capturePosition({ command: node('console.log(JSON.stringify({lat:123,lon:2}))') });
    assert.equal(wild.position, null);
    assert.match(wild.error!, /no valid position.*out of range/);
    const slow = await capturePosition({ command: ['sleep', '30'], timeoutMs: 1500 });
    assert.match(slow.error!, /did not finish/);
    const none = await capturePosition({}, { platform: 'linux', find: () => null });
    assert.deepEqual(none.position, null);
    assert.match(none.error!, /no location service found/);
    assert.match((await capturePosition({}, { platform: 'win32', find: findProgram })).error!, /no location service found/);
  });

  it("runs GeoClue's where-am-i with a timeout argument when it is installed", async () => {
    // A stand-in where-am-i, found where GeoClue installs it: it checks it got "-t 20" and prints a fix.
    const fake = join(mkdtempSync(join(tmpdir(), 'vigil-geoclue-')), 'where-am-i');
    writeFileSync(fake, `#!/bin/sh\n[ "$1 $2" = "-t 20" ] || exit 9\ncat <<'EOF'\n${WHERE_AM_I}EOF\n`);
    chmodSync(fake, 0o755);
    const host: Host = { platform: 'linux', find: (names) => (names.includes('where-am-i') ? fake : null) };
    const r = await capturePosition({}, host);
    assert.deepEqual([r.position?.source, r.position?.lat, r.error], ['geoclue', 48.85837, undefined]);
  });
});

describe('traceroute', () => {
  it('parses traceroute output: hops, unanswered probes as null, a later probe from another router', () => {
    const tr = parseTraceroute(`traceroute to 192.0.2.1 (192.0.2.1), 30 hops max, 60 byte packets
 1  10.0.0.1  0.412 ms  0.380 ms  0.371 ms
 2  * * *
 3  198.51.100.7  9.1 ms * 203.0.113.9  9.8 ms
 4  * 192.0.2.1  12.002 ms !H  11.9 ms !H
 5  2001:db8::1  20.5 ms  20.1 ms  20.3 ms
`);
    assert.deepEqual(tr, [
      { hop: 1, address: '10.0.0.1', rttMs: [0.412, 0.38, 0.371] },
      { hop: 2, address: null, rttMs: [] },
      { hop: 3, address: '198.51.100.7', rttMs: [9.1, 9.8] },
      { hop: 4, address: '192.0.2.1', rttMs: [12.002, 11.9] },
      { hop: 5, address: '2001:db8::1', rttMs: [20.5, 20.1, 20.3] },
    ]);
    assert.deepEqual(parseTraceroute('traceroute: unknown host nowhere.invalid\n'), []);
  });

  it('parses tracepath output, skipping pmtu probes and the summary', () => {
    const tp = parseTracepath(` 1?: [LOCALHOST]                      pmtu 65535
 1:  127.0.0.1                                             0.050ms reached
 2:  192.0.2.1                                             1.234ms asymm  3
 2:  192.0.2.1                                             1.300ms pmtu 1492
 3:  no reply
     Resume: pmtu 65535 hops 1 back 1 
`);
    assert.deepEqual(tp, [{ hop: 1, address: '127.0.0.1', rttMs: [0.05] }, { hop: 2, address: '192.0.2.1', rttMs: [1.234, 1.3] },
      { hop: 3, address: null, rttMs: [] }]);
  });

  it('traces the route to 127.0.0.1 with the system traceroute', async () => {
    const t = await captureTraceroute('127.0.0.1', { maxHops: 3, timeoutMs: 20_000 });
    assert.equal(t.status, 'ok', JSON.stringify(t));
    assert.ok(t.status === 'ok' && t.tool === 'traceroute' && t.hops.some((h) => h.address === '127.0.0.1' && h.rttMs.length > 0));
  });

  it('falls back to tracepath when traceroute is not installed', async () => {
    const host: Host = { platform: 'linux', find: (names) => (names.includes('traceroute') ? null : findProgram(names)) };
    const t = await captureTraceroute('127.0.0.1', { maxHops: 3, timeoutMs: 20_000 }, host);
    assert.equal(t.status, 'ok', JSON.stringify(t));
    assert.ok(t.status === 'ok' && t.tool === 'tracepath' && t.hops.some((h) => h.address === '127.0.0.1'));
  });

  it('is unavailable, with the reason, without a tool, for a bad target, or when the run fails', async () => {
    assert.deepEqual(await captureTraceroute('127.0.0.1', {}, { platform: 'linux', find: () => null }),
      { status: 'unavailable', target: '127.0.0.1', error: 'neither traceroute nor tracepath is installed' });
    const option = await captureTraceroute('-F', {});
    assert.deepEqual([option.status, option.status === 'unavailable' && option.error], ['unavailable', 'the traceroute target is not a host name or address']);
    const fails: Host = { platform: 'linux', find: (names) => (names.includes('traceroute') ? '/bin/false' : null) };
    const failed = await captureTraceroute('127.0.0.1', {}, fails);
    assert.deepEqual([failed.status, failed.status === 'unavailable' && /^traceroute: /.test(failed.error)], ['unavailable', true]);
  });
});

describe('camera', () => {
  it("takes a JPEG snapshot from ffmpeg's test source", async () => {
    const s = await captureSnapshot({ command: TESTSRC });
    assert.equal(s.status, 'ok', JSON.stringify(s.status === 'ok' ? '' : s));
    assert.ok(s.status === 'ok' && s.type === 'image/jpeg' && s.bytes[0] === 0xff && s.bytes[1] === 0xd8 && s.bytes[2] === 0xff);
    assert.ok(s.status === 'ok' && s.bytes.length < 2 * 1024 * 1024);
  });

  it('refuses a snapshot over the size limit, output that is not a JPEG, and a missing command', async () => {
    assert.equal((await captureSnapshot({ command: TESTSRC, maxBytes: 100 })).status, 'too-large');
    assert.deepEqual(await captureSnapshot({ command: node('console.log("not an image")') }),
      { status: 'failed', error: `${process.execPath} did not print a JPEG image` });
    assert.deepEqual(await captureSnapshot({ command: ['/nonexistent/camera'] }), { status: 'failed', error: 'not found: /nonexistent/camera' });
  });

  it('says what is missing when there is no camera', async () => {
    const linux: Host = { platform: 'linux', find: findProgram };
    assert.deepEqual(await captureSnapshot({ device: '/nonexistent/video7' }, linux), { status: 'no-camera', error: 'the camera device /nonexistent/video7 does not exist' });
    assert.deepEqual(await captureSnapshot({ device: '/nonexistent/video7' }, { ...linux, find: () => null }),
      { status: 'no-camera', error: 'ffmpeg is not installed (it takes the snapshot) and the camera device /nonexistent/video7 does not exist' });
    const mac = await captureSnapshot({}, { platform: 'darwin', find: () => null });
    assert.ok(mac.status === 'no-camera' && /ffmpeg is not installed/.test(mac.error));
    assert.equal((await captureSnapshot({}, { platform: 'win32', find: findProgram })).status, 'no-camera');
  });

  it('lists video devices in numeric order', () => {
    const dev = mkdtempSync(join(tmpdir(), 'vigil-dev-'));
    for (const f of ['video10', 'video2', 'video0', 'vhci', 'videoX']) writeFileSync(join(dev, f), '');
    assert.deepEqual(videoDevices(dev), [join(dev, 'video0'), join(dev, 'video2'), join(dev, 'video10')]);
  });
});

describe('interfaces', () => {
  it('lists the interfaces sorted, and notices when the external addresses change', () => {
    const list = captureInterfaces();
    assert.ok(list.some((i) => i.internal && i.address === '127.0.0.1' && i.family === 'IPv4'));
    assert.deepEqual(list, [...list].sort((a, b) => a.name.localeCompare(b.name) || a.address.localeCompare(b.address)));
    const fp = interfacesFingerprint(list);
    assert.equal(interfacesFingerprint([...list].reverse()), fp, 'order does not matter');
    assert.notEqual(interfacesFingerprint([...list, { name: 'wlan9', address: '192.0.2.50', family: 'IPv4', mac: '', internal: false, cidr: null }]), fp);
    assert.equal(interfacesFingerprint([...list, { name: 'lo9', address: '127.0.0.9', family: 'IPv4', mac: '', internal: true, cidr: null }]), fp);
  });
});
