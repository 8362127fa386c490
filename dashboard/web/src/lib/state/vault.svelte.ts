import { untrack } from 'svelte';
import { fromB64u } from '../../../../../core/antitheft/encoding.ts';
import type { ReportRowView } from '../../../../../core/antitheft/owner-api.ts';
import { unlockWithPassphrase, unlockWithRecovery, WrongSecretError, type NewOwnerKey } from '../../../../../core/antitheft/owner-key.ts';
import { openNetwork, openReport, openReportSnapshot } from '../../../../../core/antitheft/report.ts';
import { ReportHeader, Sealed, type NetworkRecord, type OwnerKeyRecord, type ReportContent } from '../../../../../core/antitheft/schemas.ts';
import { antitheft } from '../api/antitheft.ts';
import { errorText } from '../api/client.ts';
import { session } from './session.svelte.ts';

/** A stored report opened with the owner's key: the clear header, the device's sealed content, the server's network record. */
export interface OpenedReport { row: ReportRowView; header: ReportHeader; content: ReportContent; network: NetworkRecord }

/** A passphrase or recovery key that does not open the owner key, in the words the page shows. */
export class VaultError extends Error {}

const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}`;

/**
 * The owner's report key for this page: the record the server keeps (public key, two wrapped copies of the private
 * key) and, once unlocked, the private key itself as a non-extractable CryptoKey held in memory only. A reload,
 * 'Lock' or the end of the session drops it. Opened reports are cached by report id until then.
 */
export class Vault {
  record = $state.raw<OwnerKeyRecord | null>(null);
  fingerprint = $state<string | null>(null);
  loaded = $state(false);
  error = $state('');
  private key = $state.raw<CryptoKey | null>(null);
  private account: string | null = null;
  private pending: Promise<void> | null = null;
  private opened = new Map<string, Promise<OpenedReport>>();

  get on(): boolean { return this.record !== null; }
  get unlocked(): boolean { return this.key !== null; }

  /** The key record of the signed-in account; another account signing in on this page starts locked. Untracked: an effect may call it. */
  load(force = false): Promise<void> {
    return untrack(() => this.fetch(force));
  }

  private fetch(force: boolean): Promise<void> {
    const me = session.account?.accountId ?? null;
    if (me !== this.account) { this.reset(); this.account = me; }
    if (this.loaded && !force) return Promise.resolve();
    this.pending ??= (async () => {
      try {
        const info = await antitheft.key();
        if (info.key?.keyId !== this.record?.keyId) this.lock();
        this.record = info.key;
        this.fingerprint = info.fingerprint;
        this.error = '';
        this.loaded = true;
      } catch (err) {
        this.error = errorText(err);
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  /** Opens the private key with the passphrase or the recovery key; a VaultError in words when it does not fit. */
  async unlock(secret: string, kind: 'passphrase' | 'recovery'): Promise<void> {
    const record = this.record;
    if (!record) throw new VaultError('Anti-theft is off for this account.');
    try {
      this.key = kind === 'passphrase' ? await unlockWithPassphrase(record, secret) : await unlockWithRecovery(record, secret);
    } catch (err) {
      if (err instanceof WrongSecretError) throw new VaultError(sentence(err.message));
      throw err;
    }
  }

  /** Just turned on: the key made in this page is already open. */
  adopt(made: NewOwnerKey, record: OwnerKeyRecord, fingerprint: string): void {
    this.reset();
    this.account = session.account?.accountId ?? null;
    this.record = record;
    this.fingerprint = fingerprint;
    this.key = made.privateKey;
    this.loaded = true;
  }

  lock(): void {
    this.key = null;
    this.opened.clear();
  }

  /** Anti-theft turned off (or another account): nothing kept. */
  reset(): void {
    this.lock();
    this.record = null;
    this.fingerprint = null;
    this.loaded = false;
    this.error = '';
  }

  /** What an evidence export needs of the key. */
  exportKey(): { ownerKeyId: string; ownerPrivate: CryptoKey; ownerPublic: Uint8Array } {
    if (!this.key || !this.record) throw new VaultError('Unlock the key first.');
    return { ownerKeyId: this.record.keyId, ownerPrivate: this.key, ownerPublic: fromB64u(this.record.publicKey) };
  }

  /** Opens a stored report (cached by report id while the key stays unlocked). */
  open(row: ReportRowView): Promise<OpenedReport> {
    const { key, record } = this;
    if (!key || !record) return Promise.reject(new VaultError('Unlock the key first.'));
    let hit = this.opened.get(row.reportId);
    if (!hit) {
      hit = (async () => {
        const header = ReportHeader.parse(JSON.parse(row.header));
        if (header.ownerKeyId !== record.keyId) throw new Error('this report was sealed to another owner key (one made before anti-theft was last turned on)');
        const pub = fromB64u(record.publicKey);
        const [content, network] = await Promise.all([
          openReport(key, pub, header, Sealed.parse(JSON.parse(row.payload))),
          openNetwork(key, pub, header, Sealed.parse(JSON.parse(row.network))),
        ]);
        return { row, header, content: content.content, network: network.record };
      })();
      hit.catch(() => this.opened.delete(row.reportId));
      this.opened.set(row.reportId, hit);
    }
    return hit;
  }

  /** A report's camera snapshot as JPEG bytes: its ciphertext from the server, opened with the key its payload carries. */
  async snapshot(deviceId: string, r: OpenedReport, signal?: AbortSignal): Promise<Uint8Array> {
    const s = await antitheft.snapshot(deviceId, r.row.reportId, { signal });
    return openReportSnapshot(r.content, r.header, s.iv, fromB64u(s.ct));
  }
}

export const vault = new Vault();

// Signing out, or the session ending on its own, drops the key and everything opened with it.
$effect.root(() => {
  $effect(() => { if (session.status !== 'signed-in') untrack(() => vault.reset()); });
});
