/*
 * Vigil browser tracker. Plain ES2017 script (no modules), dependency-free.
 * Minified + gzipped by ../build.ts, which enforces a 1,024-byte gzip budget:
 * every feature added here must pay for itself in bytes.
 *
 * Embed:
 *   <script defer data-domain="example.com" src="https://stats.example.com/t.js"></script>
 *
 * Request body: JSON sent as text/plain with short keys. Keys whose value is
 * undefined are left out by JSON.stringify, so optional keys are simply absent.
 *   n  event name ('pageview' | 'engagement' | custom name)
 *   u  page URL (location.href; for engagement: the URL the time was spent on)
 *   d  data-domain
 *   r  document.referrer ('' when there is none)
 *   w  window.innerWidth
 *   p  props, as given to vigil()      (absent without props)
 *   h  1 when data-hash is set         (absent otherwise)
 *   e  engaged (visible) milliseconds  (engagement events only)
 *   nc 1 when data-no-cookie is set    (absent otherwise)
 */
((w, d) => {
  const loc = w.location;
  const nav = w.navigator;
  const script = d.currentScript;
  const data = script.dataset; // data-no-cookie is data.noCookie, etc.
  const flag = (name) => (name in data ? 1 : undefined); // attribute present
  const on = (target, type, fn) => target.addEventListener(type, fn, true);

  const api = data.api || new URL('/api/event', script.src);
  const domain = data.domain; // required
  const hashMode = flag('hash');
  const noCookie = flag('noCookie');
  // One switch allows both local pages and automated browsers (tests use it).
  const skipEnv =
    !flag('allowLocal') &&
    // file: pages have an empty hostname, hence the empty alternative.
    (/^(localhost|127\..*|\[::1\]|)$/.test(loc.hostname) || nav.webdriver);

  // Opt-out is read on every event, so it applies without a reload.
  const optedOut = () => {
    try {
      return localStorage.vigil_ignore == 'true';
    } catch (err) {
      /* storage blocked: not opted out */
    }
  };

  // Sends one event. opts: {props, callback}; e: engaged ms; url: overrides u.
  // Also the public window.vigil(name, opts).
  const send = (name, opts, e, url) => {
    opts = opts || {};
    const done = opts.callback || Object; // Object() is a cheap no-op
    if (skipEnv || optedOut()) return done();
    const body = JSON.stringify({
      n: name,
      u: url || loc.href,
      d: domain,
      r: d.referrer,
      w: w.innerWidth,
      p: opts.props,
      h: hashMode,
      e: e,
      nc: noCookie,
    });
    // A string body goes out as text/plain: no CORS preflight. sendBeacon
    // returns false when the browser refuses to queue it: fall back to fetch.
    if (nav.sendBeacon && nav.sendBeacon(api, body)) return done();
    fetch(api, {
      method: 'POST',
      body: body,
      keepalive: true,
      credentials: 'include',
      headers: { 'Content-Type': 'text/plain' },
    }).then(done, done);
  };

  // ---- engagement: visible time since the last engagement send ----
  // engage() runs on visibilitychange, pagehide and before each pageview: it
  // sends the visible time banked for the current page and restarts the clock
  // (stopped while the page is hidden).
  let visibleSince = !d.hidden && Date.now(); // false while hidden
  // href of the current page's pageview. It is set by the initial pageview,
  // which runs right after this and whose engage() call sees ~0 ms.
  let pageUrl;

  const engage = () => {
    const ms = visibleSince && Date.now() - visibleSince;
    visibleSince = !d.hidden && Date.now();
    if (ms > 1000) send('engagement', 0, ms, pageUrl);
  };
  on(d, 'visibilitychange', engage);
  on(w, 'pagehide', engage);

  // ---- pageviews, including single-page-app navigation ----
  const path = () => loc.pathname + (hashMode ? loc.hash : '');
  const urlKey = () => path() + loc.search;
  let lastKey; // urlKey() of the URL currently shown

  const pageview = () => {
    if (urlKey() != lastKey) {
      // never the same URL twice in a row
      lastKey = urlKey();
      engage(); // time spent on the previous URL
      pageUrl = loc.href;
      send('pageview');
    }
  };

  // pushState navigates; replaceState only counts when the path changed (a
  // query-only replace just moves lastKey, so pushing that URL again is no dup).
  const hist = w.history;
  ['pushState', 'replaceState'].map((method) => {
    const original = hist[method];
    hist[method] = function () {
      const before = path();
      original.apply(this, arguments);
      method < 'r' || path() != before ? pageview() : (lastKey = urlKey());
    };
  });
  on(w, 'popstate', pageview);
  on(w, 'hashchange', pageview); // deduplicated unless data-hash

  // ---- outbound links and file downloads (capture phase, never blocks) ----
  const onClick = (ev) => {
    const link = ev.target.closest('a[href]');
    // auxclick: middle button only; mailto:/tel:/SVG links have no host.
    if (link && link.host && ev.button < 2) {
      const name = /\.(pdf|xlsx|docx|txt|rtf|csv|exe|key|pps|pptx?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpeg|wmv|midi|mp3|wav|wma|dmg|iso|msi)$/i.test(
        link.pathname,
      )
        ? 'File Download'
        : link.host != loc.host && 'Outbound Link: Click';
      // sendBeacon survives the navigation, so the click is never delayed.
      if (name) send(name, { props: { url: link.href } });
    }
  };
  on(d, 'click', onClick);
  on(d, 'auxclick', onClick);

  // ---- public API, the initial pageview, then calls queued before load ----
  const queue = (w.vigil || 0).q || []; // the stub's arguments objects
  w.vigil = send;
  pageview();
  queue.map((args) => send(...args));
})(window, document);
