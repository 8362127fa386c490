/**
 * The address bar as state: the path picks the view, the query string holds a view's settings (date range,
 * filters), so every view can be shared and reloaded. Same-origin links are followed without a page load.
 */
export class Router {
  path = $state(location.pathname);
  search = $state(location.search);
  params = $derived(new URLSearchParams(this.search));

  constructor() {
    addEventListener('popstate', () => this.sync());
  }

  private sync() {
    this.path = location.pathname;
    this.search = location.search;
  }

  navigate(href: string, opts: { replace?: boolean } = {}) {
    const url = new URL(href, location.href);
    if (url.origin !== location.origin) { location.href = href; return; }
    const samePath = url.pathname === location.pathname;
    if (opts.replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
    this.sync();
    if (!samePath) scrollTo({ top: 0 });
  }

  /** Replaces the query string (keeps the path), dropping empty values. */
  setParams(params: URLSearchParams, opts: { replace?: boolean } = {}) {
    for (const [k, v] of [...params]) if (v === '') params.delete(k);
    const qs = params.toString();
    this.navigate(`${location.pathname}${qs ? `?${qs}` : ''}`, opts);
  }

  /** Matches `pattern` (segments like /sites/:id/settings) against the path; the captured segments, or null. */
  match(pattern: string): Record<string, string> | null {
    const want = pattern.split('/').filter(Boolean);
    const got = this.path.split('/').filter(Boolean);
    if (want.length !== got.length) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      if (w.startsWith(':')) out[w.slice(1)] = decodeURIComponent(g);
      else if (w !== g) return null;
    }
    return out;
  }

  /** For a document-level click handler: follows plain left clicks on same-origin links inside the app. */
  intercept = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || a.getAttribute('rel')?.includes('external')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || /^\/(api|internal)\//.test(url.pathname)) return;
    e.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  };
}

export const router = new Router();
