import type { ClickHouseClient } from '../../core/clickhouse.ts';

/** The client as it is, recording the SQL of every query it sends into `statements` (to check which rows answered). */
export function recordingClient(ch: ClickHouseClient, statements: string[]): ClickHouseClient {
  return new Proxy(ch, {
    get(target, prop, receiver) {
      if (prop === 'query') return (params: { query: string }) => { statements.push(params.query); return target.query(params as never); };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
