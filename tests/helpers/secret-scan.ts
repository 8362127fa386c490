import type { ClickHouseClient } from '../../core/clickhouse.ts';
import { queryRows } from '../../core/clickhouse.ts';
import type { Redis } from '../../core/redis.ts';

/** Every value in a Redis server, as text (strings, hashes, lists, sets, sorted sets, streams). */
export async function redisText(redis: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      parts.push(key);
      if (type === 'string') parts.push(String(await redis.get(key)));
      else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, '0', '-1')));
      else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return parts.join('\n');
}

/** Every row of every table in every database but the system ones, as JSON text. */
export async function clickhouseText(ch: ClickHouseClient): Promise<{ text: string; tables: string[] }> {
  const tables = await queryRows<{ database: string; name: string }>(ch, `SELECT database, name FROM system.tables
    WHERE database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema') AND engine NOT IN ('MaterializedView', 'View')`);
  const parts: string[] = [];
  for (const t of tables) {
    const rs = await ch.query({ query: `SELECT * FROM \`${t.database}\`.\`${t.name}\``, format: 'JSONEachRow' });
    parts.push(await rs.text());
  }
  return { text: parts.join('\n'), tables: tables.map((t) => `${t.database}.${t.name}`) };
}
