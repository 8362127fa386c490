import { badRequest, type HttpError } from '../../../../core/errors.ts';

/**
 * A request the engine refuses: a 400 `{ error, code: 'invalid_request', field }` naming the bad field, e.g.
 * `metrics[1]`, `filters[0][1]`, `date_range`. The engine throws these while parsing and planning, before any query runs.
 */
export function invalid(field: string, message: string): HttpError {
  return badRequest(message, field);
}

export { show } from '../../../../core/api/stats.ts';
