/**
 * Bytes <-> text for the anti-theft wire format, in code that runs unchanged in Node and in the browser
 * (Buffer only as a faster path for large values where Node provides it): base64url without padding, UTF-8, hex, and
 * SHA-256 through WebCrypto unless the caller passes another digest.
 */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Node's Buffer where there is one: its native decoder is ~20x this file's loop on a 100 KB snapshot. */
interface BufferLike extends Uint8Array { toString(encoding?: 'base64url'): string }
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'base64url'): BufferLike; from(b: ArrayBufferLike, offset: number, length: number): BufferLike } }).Buffer;

export function toB64u(bytes: Uint8Array): string {
  if (NodeBuffer && bytes.length > 1024) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return out;
}

/** Decodes base64url (no padding); throws on any other character or an impossible length. */
export function fromB64u(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new Error('not base64url: impossible length');
  if (NodeBuffer && text.length > 1024) {
    // Buffer skips characters it does not know: check the alphabet first, so both paths refuse the same texts.
    if (!B64U.test(text)) throw new Error('not base64url');
    const b = NodeBuffer.from(text, 'base64url');
    return new Uint8Array(b.buffer, b.byteOffset, b.length); // a plain view: a Buffer's slice() does not copy
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new Error('not base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

export const B64U = /^[A-Za-z0-9_-]*$/;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** WebCrypto wants BufferSource backed by a plain ArrayBuffer; copies only when a view is shared or offset. */
export function buf(b: Uint8Array): ArrayBuffer {
  return (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer)
    ? b.buffer : Uint8Array.prototype.slice.call(b).buffer as ArrayBuffer; // a copy, even of a Buffer
}

export const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

/**
 * SHA-256 as a function the caller may pass in: WebCrypto's everywhere by default; the server passes node:crypto's
 * (node-crypto.ts), which answers in the same turn instead of a round trip through the thread pool on every report.
 */
export type Digest = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;
export const webDigest: Digest = async (data) => new Uint8Array(await subtle().digest('SHA-256', buf(data)));

export async function sha256(data: Uint8Array, digest: Digest = webDigest): Promise<Uint8Array> {
  return digest(data);
}

export async function sha256Hex(data: Uint8Array | string, digest: Digest = webDigest): Promise<string> {
  return toHex(await digest(typeof data === 'string' ? utf8(data) : data));
}

export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

/** Constant-time comparison of two byte strings of possibly different lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

/** Crockford base32 (no I, L, O, U): what people read aloud and type, for fingerprints and the recovery key. */
const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export function toBase32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) { bits -= 5; out += B32[(acc >> bits) & 31]; }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += B32[(acc << (5 - bits)) & 31];
  return out;
}

/** Reads base32 typed by a person: case, spaces and dashes ignored, O/I/L read as 0/1/1. */
export function fromBase32(text: string): Uint8Array {
  const clean = text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new Error(`not a base32 character: ${ch}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((acc >> bits) & 0xff); acc &= (1 << bits) - 1; }
  }
  return new Uint8Array(out);
}

/** Groups of four for display: "7K3M-Q9XD-...". */
export const groups = (s: string, size = 4) => s.match(new RegExp(`.{1,${size}}`, 'g'))!.join('-');
