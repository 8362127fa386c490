import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalBytes } from '../../core/antitheft/canonical.ts';
import { fromB64u, fromBase32, fromUtf8, sha256Hex, toB64u, toBase32 } from '../../core/antitheft/encoding.ts';
import { ed25519Signer, generateEd25519, nodeDigest, nodeSealBackend, nodeVerify } from '../../core/antitheft/node-crypto.ts';
import { changePassphrase, createOwnerKey, unlockWithPassphrase, unlockWithRecovery, WrongSecretError } from '../../core/antitheft/owner-key.ts';
import { openNetwork, openReport, openReportSnapshot, openReportWithKey, sealNetwork, sealReport, verifyReport } from '../../core/antitheft/report.ts';
import { OwnerKeyRecord, ReportEnvelope, type ReportHeader } from '../../core/antitheft/schemas.ts';
import { open, seal, SealError, webSealBackend } from '../../core/antitheft/seal.ts';
import { fingerprint, reportHash, webVerify } from '../../core/antitheft/signing.ts';

const owner = await createOwnerKey('correct horse battery staple');
const ownerPub = fromB64u(owner.record.publicKey);
const device = generateEd25519();
const header = (over: Partial<ReportHeader> = {}): ReportHeader => ({ v: 1, ownerKeyId: owner.record.keyId, deviceId: 'dv_0123456789abcdef01234567',
  reportId: randomUUID(), sequence: 1, mode: 'stolen', prevHash: '', capturedAt: 1_760_000_000_000, trigger: 'schedule', ...over });
const content = { capturedAt: 1_760_000_000_000, hostname: 'ann-laptop', platform: 'linux', agentVersion: '0.1.0',
  interfaces: [{ name: 'eth0', address: '10.1.2.3', family: 'IPv4' as const, mac: '00:11:22:33:44:55', internal: false, cidr: '10.1.2.3/24' }],
  position: { lat: 48.85837, lon: 2.294481, accuracyM: 20, source: 'command' as const, at: 1_760_000_000_000 } };

describe('anti-theft wire contract', () => {
  it('encodes base64url and base32 both ways, as Buffer does', () => {
    for (const n of [0, 1, 2, 3, 31, 32, 33, 65]) {
      const b = new Uint8Array(Array.from({ length: n }, (_, i) => (i * 37 + n) & 255));
      assert.equal(toB64u(b), Buffer.from(b).toString('base64url'));
      assert.deepEqual(fromB64u(toB64u(b)), b);
      assert.deepEqual(fromBase32(toBase32(b)).subarray(0, n), b);
    }
    assert.throws(() => fromB64u('ab+c'), /base64url/);
  });

  it('decodes large values through Node\'s Buffer into plain bytes that WebCrypto reads correctly, refusing what the loop refuses', async () => {
    for (const n of [1025, 3000, 100_000]) {
      const b = new Uint8Array(Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255));
      const text = toB64u(b);
      assert.equal(text, Buffer.from(b).toString('base64url'));
      const back = fromB64u(text);
      assert.deepEqual(back, b);
      // A pooled Buffer's slice() is a view of the whole pool: the digest must see these bytes only.
      assert.equal(await sha256Hex(back), createHash('sha256').update(b).digest('hex'));
      assert.equal(await sha256Hex(back, nodeDigest), await sha256Hex(back));
    }
    assert.throws(() => fromB64u(`${'A'.repeat(2000)}+AAA`), /base64url/);
    assert.throws(() => fromB64u(`${'A'.repeat(2000)}=`), /base64url/);
  });

  it('signs canonical bytes: the same object in another key order gives the same bytes', () => {
    assert.deepEqual(canonicalBytes({ b: 1, a: { y: [1, 'x'], x: null } }), canonicalBytes({ a: { x: null, y: [1, 'x'] }, b: 1 }));
    assert.equal(fromUtf8(canonicalBytes({ b: 1, a: 2 })), '{"a":2,"b":1}');
  });

  it('seals with one backend and opens with the other; the wrong header or key does not open', async () => {
    const aad = canonicalBytes({ h: 1 });
    for (const backend of [webSealBackend, nodeSealBackend]) {
      const s = await seal(backend, ownerPub, 'report', new TextEncoder().encode('secret place'), aad);
      assert.equal(fromUtf8(await open(owner.privateKey, ownerPub, 'report', s, aad)), 'secret place');
      await assert.rejects(open(owner.privateKey, ownerPub, 'report', s, canonicalBytes({ h: 2 })), SealError);
      await assert.rejects(open(owner.privateKey, ownerPub, 'network', s, aad), SealError);
    }
  });

  it('keeps the private key non-extractable once unlocked; the passphrase and the recovery key both unlock it', async () => {
    assert.equal(owner.privateKey.extractable, false);
    assert.match(owner.recoveryKey, /^([0-9A-Z]{4}-){7}[0-9A-Z]{4}$/);
    const byPass = await unlockWithPassphrase(owner.record, 'correct horse battery staple');
    const byRecovery = await unlockWithRecovery(owner.record, owner.recoveryKey.toLowerCase().replace(/-/g, ' '));
    const s = await seal(nodeSealBackend, ownerPub, 'report', new Uint8Array([1, 2, 3]), new Uint8Array());
    for (const k of [byPass, byRecovery]) {
      assert.equal(k.extractable, false);
      assert.deepEqual(await open(k, ownerPub, 'report', s, new Uint8Array()), new Uint8Array([1, 2, 3]));
    }
  });

  it('refuses a wrong passphrase or recovery key clearly', async () => {
    await assert.rejects(unlockWithPassphrase(owner.record, 'wrong horse battery staple'), WrongSecretError);
    await assert.rejects(unlockWithRecovery(owner.record, '0000-0000-0000-0000-0000-0000-0000-0000'), WrongSecretError);
    await assert.rejects(unlockWithRecovery(owner.record, '12'), /recovery key has 32 characters/);
  });

  it('changes the passphrase without changing the key', async () => {
    const next = await changePassphrase(owner.record, 'correct horse battery staple', 'a brand new passphrase');
    assert.equal(next.publicKey, owner.record.publicKey);
    await unlockWithPassphrase(next, 'a brand new passphrase');
    await assert.rejects(unlockWithPassphrase(next, 'correct horse battery staple'), WrongSecretError);
  });

  it('refuses an owner key record wrapped with fewer than 600,000 PBKDF2 iterations', () => {
    const weak = { ...owner.record, passphrase: { ...owner.record.passphrase, iterations: 100_000 } };
    assert.throws(() => OwnerKeyRecord.parse(weak), /600000 iterations/);
    assert.doesNotThrow(() => OwnerKeyRecord.parse(owner.record));
  });

  it('seals a report with its snapshot, verifies the device signature, and opens both for the owner', async () => {
    const image = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3, 4]);
    const h = header();
    const env = ReportEnvelope.parse(await sealReport(nodeSealBackend, ed25519Signer(device.privateKeyPem), ownerPub, h, content, { status: 'ok', bytes: image }));
    assert.ok(!JSON.stringify(env).includes('48.85837'), 'no coordinate in the envelope');
    for (const verify of [nodeVerify, webVerify]) assert.equal(await verifyReport(verify, fromB64u(device.publicKey), env), true);
    const opened = await openReport(owner.privateKey, ownerPub, env.header, env.payload);
    assert.deepEqual(opened.content.position, content.position);
    assert.deepEqual(await openReport(owner.privateKey, ownerPub, env.header, env.payload).then((o) => o.content), await openReportWithKey(opened.key, env.header, env.payload));
    assert.deepEqual(await openReportSnapshot(opened.content, env.header, env.snapshot!.iv, fromB64u(env.snapshot!.ct)), image);
  });

  it('rejects a report whose header, payload or snapshot was changed after signing', async () => {
    const env = await sealReport(nodeSealBackend, ed25519Signer(device.privateKeyPem), ownerPub, header(), content, { status: 'ok', bytes: new Uint8Array([0xff, 0xd8, 0xff, 9]) });
    const pub = fromB64u(device.publicKey);
    assert.equal(await verifyReport(nodeVerify, pub, { ...env, header: { ...env.header, mode: 'normal' } }), false);
    assert.equal(await verifyReport(nodeVerify, pub, { ...env, payload: { ...env.payload, iv: toB64u(new Uint8Array(12)) } }), false);
    const ct = fromB64u(env.snapshot!.ct); ct[0]! ^= 1;
    assert.equal(await verifyReport(nodeVerify, pub, { ...env, snapshot: { ...env.snapshot!, ct: toB64u(ct) } }), false);
    assert.equal(await verifyReport(nodeVerify, fromB64u(generateEd25519().publicKey), env), false);
    // A payload moved under another report's header does not open, even for the owner.
    await assert.rejects(openReport(owner.privateKey, ownerPub, { ...env.header, sequence: 2 }, env.payload), SealError);
  });

  it('chains reports by hash: the hash changes with any signed field', async () => {
    const env = await sealReport(nodeSealBackend, ed25519Signer(device.privateKeyPem), ownerPub, header(), content);
    const h1 = await reportHash(env);
    assert.match(h1, /^[0-9a-f]{64}$/);
    assert.equal(await reportHash(JSON.parse(JSON.stringify(env))), h1);
    assert.notEqual(await reportHash({ ...env, header: { ...env.header, sequence: 9 } }), h1);
  });

  it('seals the network record the server saw to the owner alone', async () => {
    const h = header();
    const record = { v: 1 as const, ip: '81.2.69.142', city: 'London', region: 'England', country: 'GB', position: { lat: 51.5, lon: -0.12 }, accuracyKm: 50,
      source: 'ip' as const, receivedAt: 1 };
    const sealed = await sealNetwork(nodeSealBackend, ownerPub, h, record);
    assert.ok(!JSON.stringify(sealed).includes('81.2.69.142'));
    assert.deepEqual((await openNetwork(owner.privateKey, ownerPub, h, sealed)).record, record);
  });

  it('shows keys as four groups of four base32 characters, different per kind', async () => {
    const f = await fingerprint('device', device.publicKey);
    assert.match(f, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    assert.notEqual(await fingerprint('owner', device.publicKey), f);
  });
});
