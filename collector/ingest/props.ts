import { badRequest } from '../../core/errors.ts';

export const MAX_PROPS = 30;
const MAX_KEY = 300;
const MAX_VALUE = 2000;

/**
 * Custom properties: string keys and values (numbers and booleans are turned into text, as Plausible does).
 * `field` names the place in the request for error messages ('props' or 'events[3].props').
 */
export function parseProps(raw: unknown, field = 'props'): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  let value = raw;
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try { value = JSON.parse(value); } catch { throw badRequest(`${field} must be an object of string values`, field); }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${field} must be an object of string values`, field);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_PROPS) throw badRequest(`${field} has ${entries.length} keys; at most ${MAX_PROPS} are allowed`, field);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_KEY) throw badRequest(`${field} keys must be 1 to ${MAX_KEY} characters`, field);
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw badRequest(`${field}.${k} must be a string, number or boolean`, `${field}.${k}`);
    }
    const text = String(v);
    if (text.length > MAX_VALUE) throw badRequest(`${field}.${k} is longer than ${MAX_VALUE} characters`, `${field}.${k}`);
    out[k] = text;
  }
  return out;
}
