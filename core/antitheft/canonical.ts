import canonicalize from 'canonicalize';
import { utf8 } from './encoding.ts';

/**
 * The bytes that are signed, hashed or used as additional data: RFC 8785 (JSON Canonicalization Scheme), so the
 * agent, the server, the browser and a verifier years later derive the same bytes from the same object whatever
 * order its keys were written in.
 */
export function canonicalBytes(value: unknown): Uint8Array {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('cannot canonicalize this value');
  return utf8(text);
}
