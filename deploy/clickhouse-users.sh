#!/bin/bash
# Runs once, when the ClickHouse container first starts on an empty volume (docker-entrypoint-initdb.d).
# Two users, each granted one database: `vigil` (analytics) and `vigil_antitheft` (the anti-theft module), so the
# analytics side (collector, query engine, dashboard) cannot read anti-theft data even through a bug.
set -euo pipefail
clickhouse client --multiquery <<SQL
CREATE DATABASE IF NOT EXISTS vigil;
CREATE DATABASE IF NOT EXISTS antitheft;
CREATE USER IF NOT EXISTS vigil IDENTIFIED WITH sha256_password BY '${VIGIL_CLICKHOUSE_PASSWORD}';
CREATE USER IF NOT EXISTS vigil_antitheft IDENTIFIED WITH sha256_password BY '${ANTITHEFT_CLICKHOUSE_PASSWORD}';
GRANT ALL ON vigil.* TO vigil;
GRANT ALL ON antitheft.* TO vigil_antitheft;
-- On a cluster (docker-compose.cluster.yml) the migrations' DDL runs ON CLUSTER, which needs this grant.
GRANT CLUSTER ON *.* TO vigil, vigil_antitheft;
SQL
