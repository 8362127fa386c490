import { errorText } from '../api/client.ts';
import { products as productsApi, sites as sitesApi } from '../api/manage.ts';
import type { Product, Site } from '../api/types.ts';

/** The sites and products the signed-in account may see; loaded once, refreshed after changes. */
export class Catalog {
  sites = $state<Site[]>([]);
  products = $state<Product[]>([]);
  loaded = $state(false);
  error = $state('');
  private pending: Promise<void> | null = null;

  load(force = false): Promise<void> {
    if (this.loaded && !force) return Promise.resolve();
    this.pending ??= (async () => {
      try {
        const [s, p] = await Promise.all([sitesApi.list(), productsApi.list()]);
        this.sites = s;
        this.products = p;
        this.error = '';
        this.loaded = true;
      } catch (err) {
        this.error = errorText(err);
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }

  site(id: string): Site | undefined { return this.sites.find((s) => s.siteId === id); }
  product(id: string): Product | undefined { return this.products.find((p) => p.productId === id); }

  reset(): void {
    this.sites = [];
    this.products = [];
    this.loaded = false;
  }
}

export const catalog = new Catalog();
