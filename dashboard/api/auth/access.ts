import type { Context } from 'koa';
import { forbidden } from '../../../core/errors.ts';
import type { Registry, Site, Product } from '../../../core/registry.ts';
import type { AccountStore, ResourceType, Role } from '../accounts/store.ts';
import { currentAccount } from './middleware.ts';
import type { ShareLinks } from './share-links.ts';

/**
 * Who may see or manage a site or product: an administrator, an owner or a viewer of it; for reading one site, also
 * whoever holds a valid share link to it (header X-Vigil-Share). Everything else is 401 (no session) or 403.
 * Unknown ids are 403 too, so probing cannot tell which sites exist.
 */
export class Access {
  constructor(private readonly accounts: AccountStore, private readonly registry: Registry, private readonly shares: ShareLinks) {}

  async site(ctx: Context, idOrDomain: string, need: Role = 'viewer'): Promise<Site> {
    const site = await this.registry.siteById(idOrDomain) ?? await this.registry.siteForDomain(idOrDomain);
    const share = ctx.get('x-vigil-share');
    if (need === 'viewer' && share && site && (await this.shares.siteFor(share)) === site.siteId) return site;
    await this.check(ctx, 'site', site?.siteId, need);
    return site!;
  }

  async product(ctx: Context, idOrName: string, need: Role = 'viewer'): Promise<Product> {
    const product = await this.registry.requireProduct(idOrName).catch(() => undefined);
    await this.check(ctx, 'product', product?.productId, need);
    return product!;
  }

  /** For the query engine: throws unless the caller may read this site or product. */
  authorize = async (ctx: Context, scope: { kind: 'site' | 'product'; id: string }): Promise<void> => {
    if (scope.kind === 'site') await this.site(ctx, scope.id);
    else await this.product(ctx, scope.id);
  };

  private async check(ctx: Context, type: ResourceType, id: string | undefined, need: Role): Promise<void> {
    const account = currentAccount(ctx);
    const role = id ? await this.accounts.role(account, type, id) : null;
    if (!role) throw forbidden(`no access to this ${type}`);
    if (need === 'owner' && role !== 'owner') throw forbidden(`only an owner of this ${type} may do this`);
  }

  /** The sites and products an account may see. */
  async visible(ctx: Context): Promise<{ sites: (Site & { role: Role })[]; products: (Product & { role: Role })[] }> {
    const account = currentAccount(ctx);
    const [sites, products] = await Promise.all([this.registry.listSites(), this.registry.listProducts()]);
    if (account.isAdmin) return { sites: sites.map((s) => ({ ...s, role: 'owner' })), products: products.map((p) => ({ ...p, role: 'owner' })) };
    const mine = await this.accounts.memberships(account.accountId);
    const roleOf = (t: ResourceType, id: string) => mine.find((m) => m.resourceType === t && m.resourceId === id)?.role;
    return {
      sites: sites.flatMap((s) => { const role = roleOf('site', s.siteId); return role ? [{ ...s, role }] : []; }),
      products: products.flatMap((p) => { const role = roleOf('product', p.productId); return role ? [{ ...p, role }] : []; }),
    };
  }
}
