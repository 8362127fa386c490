import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureSnapshot } from '../../antitheft/agent/capture/camera.ts';
import { captureInterfaces, interfacesFingerprint } from '../../antitheft/agent/capture/interfaces.ts';
import { capturePosition, parseLocationJson, parseWhereAmI } from '../../antitheft/agent/capture/location.ts';
import { captureTraceroute, parseTracepath, parseTraceroute } from '../../antitheft/agent/capture/traceroute.ts';

const TESTSRC = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1', '-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-'];

describe('agent captures', () => {
  it("reads GeoClue's where-am-i output, taking the last complete fix", () => {
    const text = `Client object: /org/freedesktop/GeoClue2/Client/1\n\nNew location:\nLatitude:    10.000000°\nLongitude:   20.000000°\nAccuracy:    5000.000000 meters\n\nNew location:\nLatitude:    48.858370°\nLongitude:   2.294481°\nAccuracy:    20.000000 meters\nAltitude:    35.0 meters\n`;
    assert.deepEqual(parseWhereAmI(text), { lat: 48.85837, lon: 2.294481, accuracyM: 20 });
    assert.equal(parseWhereAmI('Latitude: 91\nLongitude: 2\n'), null, 'an impossible latitude is no position');
  });

  it("reads CoreLocationCLI's and a command's JSON, with numbers as strings too", () => {
    assert.deepEqual(parseLocationJson('{"latitude":"37.33","longitude":"-122.03","h_accuracy":"65"}'), { lat: 37.33, lon: -122.03, accuracyM: 65 });
    assert.deepEqual(parseLocationJson('{"lat":1,"lon":2}'), { lat: 1, lon: 2, accuracyM: null });
    assert.equal(parseLocationJson('{"lat":1,"lon":200}'), null);
    assert.equal(parseLocationJson('not json'), null);
  });

  it('runs a configured location command and says why when there is no position', async () => {
    const ok = await capturePosition({ command: ['node', '-e', 'console.log(JSON.stringify({lat:48.85837,lon:2.294481,accuracy:20}))'] });
    assert.deepEqual([ok.position?.lat, ok.position?.source], [48.85837, 'command']);
    const bad = await capturePosition({ command: ['/nonexistent/where-am-i'] });
    assert.equal(bad.position, null);
    assert.match(bad.error!, /not found/);
  });

  it('parses traceroute and tracepath output into hops, unanswered probes as null', () => {
    const tr = parseTraceroute('traceroute to 192.0.2.1 (192.0.2.1), 30 hops max, 60 byte packets\n 1  10.0.0.1  0.412 ms  0.380 ms  0.371 ms\n 2  * * *\n 3  198.51.100.7  9.1 ms * 203.0.113.9  9.8 ms\n');
    assert.deepEqual(tr, [{ hop: 1, address: '10.0.0.1', rttMs: [0.412, 0.38, 0.371] }, { hop: 2, address: null, rttMs: [] },
      { hop: 3, address: '198.51.100.7', rttMs: [9.1, 9.8] }]);
    const tp = parseTracepath(' 1?: [LOCALHOST]                      pmtu 65535\n 1:  127.0.0.1                                             0.050ms reached\n 2:  no reply\n     Resume: pmtu 65535 hops 1 back 1 \n');
    assert.deepEqual(tp, [{ hop: 1, address: '127.0.0.1', rttMs: [0.05] }, { hop: 2, address: null, rttMs: [] }]);
  });

  it('traces the route to 127.0.0.1 with the system tool', async () => {
    const t = await captureTraceroute('127.0.0.1', { maxHops: 3, timeoutMs: 20_000 });
    assert.equal(t.status, 'ok', JSON.stringify(t));
    assert.ok(t.status === 'ok' && t.hops.some((h) => h.address === '127.0.0.1'));
  });

  it("takes a JPEG snapshot from ffmpeg's test source, and refuses one over the size limit", async () => {
    const s = await captureSnapshot({ command: TESTSRC });
    assert.equal(s.status, 'ok');
    assert.ok(s.status === 'ok' && s.bytes[0] === 0xff && s.bytes[1] === 0xd8 && s.bytes.length < 2 * 1024 * 1024);
    assert.equal((await captureSnapshot({ command: TESTSRC, maxBytes: 100 })).status, 'too-large');
    const missing = await captureSnapshot({ command: ['/nonexistent/camera'] });
    assert.deepEqual([missing.status, missing.status !== 'ok' && /not found/.test(missing.error)], ['failed', true]);
  });

  it('lists the interfaces and notices when the external addresses change', () => {
    const list = captureInterfaces();
    assert.ok(list.some((i) => i.internal && i.address === '127.0.0.1'));
    const fp = interfacesFingerprint(list);
    assert.notEqual(interfacesFingerprint([...list, { name: 'wlan9', address: '192.0.2.50', family: 'IPv4', mac: '', internal: false, cidr: null }]), fp);
    assert.equal(interfacesFingerprint([...list, { name: 'lo9', address: '127.0.0.9', family: 'IPv4', mac: '', internal: true, cidr: null }]), fp);
  });
});
