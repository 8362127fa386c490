import { fromB64u, toB64u } from '../../core/antitheft/encoding.ts';
import { ed25519Signer, generateEd25519 } from '../../core/antitheft/node-crypto.ts';
import { WIRE_VERSION, type CheckinAnswer, type PublicServerKey, type Receipt, type SignedAnswer } from '../../core/antitheft/schemas.ts';
import { answerBytes, fingerprint, receiptBytes, serverKeyId, type ReceiptFields, type Signer } from '../../core/antitheft/signing.ts';
import type { OwnerReads } from '../store/owner-reads.ts';
import type { AntitheftWrites } from '../store/writes.ts';

/**
 * The server's Ed25519 key: it countersigns each report received (the receipt an owner hands on with an export)
 * and every answer to an agent, which the agent checks against the key it pinned at enrollment, so nobody on the
 * network can tell an agent to switch off. Made once per deployment and kept in the antitheft database; every
 * process signs with the oldest key there, so two processes starting at once still agree.
 */
export class ServerKey {
  private constructor(readonly publicKey: PublicServerKey, private readonly sign: Signer) {}

  static async load(reads: OwnerReads, writes: AntitheftWrites): Promise<ServerKey> {
    let row = await reads.serverKey();
    if (!row) {
      const pair = generateEd25519();
      await writes.insertServerKey({ keyId: await serverKeyId(pair.publicKey), publicKey: pair.publicKey, privateKeyPem: pair.privateKeyPem, createdAt: Date.now() });
      row = await reads.serverKey();
      if (!row) throw new Error('the server key was written but cannot be read back');
    }
    const pub = { keyId: row.keyId, publicKey: row.publicKey, fingerprint: await fingerprint('server', row.publicKey), createdAt: row.createdAt };
    return new ServerKey(pub, ed25519Signer(row.privateKeyPem));
  }

  async receipt(fields: Omit<ReceiptFields, 'serverKeyId'>): Promise<Receipt> {
    const f = { ...fields, serverKeyId: this.publicKey.keyId };
    return { v: WIRE_VERSION, ...f, sig: toB64u(await this.sign(receiptBytes(f))) };
  }

  async answer(a: CheckinAnswer): Promise<SignedAnswer> {
    return { answer: a, serverKeyId: this.publicKey.keyId, sig: toB64u(await this.sign(answerBytes(a))) };
  }

  get publicKeyBytes(): Uint8Array { return fromB64u(this.publicKey.publicKey); }
}
