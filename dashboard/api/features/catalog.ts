import { randomBytes } from 'node:crypto';
import type { Feature } from '../../../core/api/manage.ts';
import { queryRows, type ClickHouseClient } from '../../../core/clickhouse.ts';

/**
 * A product's features as product managers name them. An event counts as use of a feature when the app tagged it
 * with that feature (product_events.feature = name) or its name is one of the feature's events.
 */
export type { Feature };

export class FeatureCatalog {
  constructor(private readonly ch: ClickHouseClient) {}

  async list(productId: string): Promise<Feature[]> {
    return (await queryRows<{ feature_id: string; name: string; description: string; events: string[] }>(this.ch,
      `SELECT feature_id, name, description, events FROM product_features FINAL WHERE product_id = {p:String} AND deleted = 0 ORDER BY name`,
      { p: productId })).map((r) => ({ featureId: r.feature_id, productId, name: r.name, description: r.description, events: r.events }));
  }

  async save(productId: string, input: { featureId?: string; name: string; description: string; events: string[] }): Promise<Feature> {
    const feature: Feature = { featureId: input.featureId ?? `f_${randomBytes(6).toString('hex')}`, productId, name: input.name.trim(),
      description: input.description.trim(), events: [...new Set(input.events.map((e) => e.trim()).filter(Boolean))] };
    await this.write(feature, false);
    return feature;
  }

  async remove(productId: string, featureId: string): Promise<boolean> {
    const f = (await this.list(productId)).find((x) => x.featureId === featureId);
    if (!f) return false;
    await this.write(f, true);
    return true;
  }

  private async write(f: Feature, deleted: boolean): Promise<void> {
    await this.ch.insert({ table: 'product_features', format: 'JSONEachRow', values: [{ product_id: f.productId, feature_id: f.featureId,
      name: f.name, description: f.description, events: f.events, deleted: deleted ? 1 : 0, version: Date.now() * 1000 + Math.floor(Math.random() * 1000) }] });
  }
}
