import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../core/config.ts';

describe('configuration from the environment', () => {
  it('runs with no settings at all: embedded store, private Redis, 25-month retention, 13-month cookie', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.port, 8000);
    assert.equal(cfg.clickhouse.url, undefined);
    assert.equal(cfg.redis.url, undefined);
    assert.equal(cfg.redis.allowVolatile, false);
    assert.equal(cfg.retentionMonths, 25);
    assert.equal(cfg.visitorCookieMonths, 13);
    assert.ok(cfg.dataDir.endsWith('/data'));
  });

  it('reads every documented variable', () => {
    const cfg = loadConfig({ PORT: '9000', DATA_DIR: '/srv/vigil', CLICKHOUSE_URL: 'https://ch.internal:8443', REDIS_URL: 'redis://r:6379/2',
      RETENTION_MONTHS: '13', TRUST_PROXY: 'true', VIGIL_ALLOW_VOLATILE_REDIS: '1', FLUSH_MAX_ROWS: '5000', GEOIP_DB: '/geo/City.mmdb' });
    assert.deepEqual([cfg.port, cfg.dataDir, cfg.clickhouse.url, cfg.redis.url, cfg.retentionMonths, cfg.trustProxy, cfg.redis.allowVolatile, cfg.flush.maxRows, cfg.geoipDb],
      [9000, '/srv/vigil', 'https://ch.internal:8443', 'redis://r:6379/2', 13, true, true, 5000, '/geo/City.mmdb']);
  });

  it('names the variable and what it expects when a value is wrong', () => {
    assert.throws(() => loadConfig({ PORT: '70000' }), { message: 'Invalid configuration: PORT must be an integer between 1 and 65535 (got "70000")' });
    assert.throws(() => loadConfig({ RETENTION_MONTHS: 'forever' }), /RETENTION_MONTHS must be an integer between 1 and 1200/);
    assert.throws(() => loadConfig({ REDIS_URL: 'localhost:6379' }), /REDIS_URL must be a URL starting with redis: or rediss:\/\//);
    assert.throws(() => loadConfig({ CLICKHOUSE_URL: 'tcp://x' }), /CLICKHOUSE_URL must be a URL starting with http: or https:/);
    assert.throws(() => loadConfig({ TRUST_PROXY: 'maybe' }), /TRUST_PROXY must be one of 0, 1, true, false, yes, no \(got "maybe"\)/);
    assert.throws(() => loadConfig({ VISITOR_COOKIE_MONTHS: '24' }), /VISITOR_COOKIE_MONTHS must be an integer between 1 and 13/);
  });

  it('samples visit frequency past a million cookie visits by default; 0 never samples', () => {
    assert.equal(loadConfig({}).query.sampleAbove, 1_000_000);
    assert.equal(loadConfig({ QUERY_SAMPLE_ABOVE: '0' }).query.sampleAbove, 0);
    assert.throws(() => loadConfig({ QUERY_SAMPLE_ABOVE: '-5' }), /QUERY_SAMPLE_ABOVE must be an integer between 0 and/);
  });

  it('spreads the store over a ClickHouse cluster only with a server to reach it by, named as remote_servers names it', () => {
    assert.equal(loadConfig({ CLICKHOUSE_URL: 'http://ch-1:8123', CLICKHOUSE_CLUSTER: 'vigil' }).clickhouse.cluster, 'vigil');
    assert.equal(loadConfig({ CLICKHOUSE_URL: 'http://ch-1:8123' }).clickhouse.cluster, undefined);
    assert.throws(() => loadConfig({ CLICKHOUSE_CLUSTER: 'vigil' }), /CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL/);
    assert.throws(() => loadConfig({ CLICKHOUSE_URL: 'http://ch-1:8123', CLICKHOUSE_CLUSTER: 'vigil; DROP' }), /CLICKHOUSE_CLUSTER must be a cluster name/);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig({ PORT: '', CLICKHOUSE_URL: '' }).port, 8000);
  });
});
