import type { ClickHouseClient } from '../../../../core/clickhouse.ts';
import { FeatureCatalog } from '../../features/catalog.ts';

/**
 * The feature catalogs of the products in a query's scope, as the three array parameters FEATURE_SQL reads
 * (see dimensions.ts). Keys are `<product_id>\0<text>`, so one product's catalog never maps another's events:
 * - ft: the catalog's feature names (an event the app tagged with a catalog feature keeps that tag);
 * - fk/fv: each catalog event name and the feature it counts for.
 * A product without a catalog adds nothing, so its events keep their own `feature` value.
 */
export interface FeatureMap { ft: string[]; fk: string[]; fv: string[] }

export const NO_FEATURES: FeatureMap = { ft: [], fk: [], fv: [] };

const key = (productId: string, text: string) => `${productId}\u0000${text}`;

/** Loads the catalogs of `productIds` (callers pass an already authorised scope). */
export async function loadFeatureMap(ch: ClickHouseClient, productIds: string[]): Promise<FeatureMap> {
  const catalog = new FeatureCatalog(ch);
  const map: FeatureMap = { ft: [], fk: [], fv: [] };
  for (const productId of productIds) {
    const seen = new Set<string>();
    for (const f of await catalog.list(productId)) { // ordered by name: an event name in two features counts for the first
      map.ft.push(key(productId, f.name));
      for (const e of f.events) {
        if (seen.has(e)) continue;
        seen.add(e);
        map.fk.push(key(productId, e));
        map.fv.push(f.name);
      }
    }
  }
  return map;
}

/** The parameters FEATURE_SQL needs (every product statement carries them). */
export const featureParams = (m: FeatureMap) => ({ ft: m.ft, fk: m.fk, fv: m.fv });
