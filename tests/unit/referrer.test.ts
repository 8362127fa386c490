import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyReferrer } from '../../collector/ingest/referrer.ts';
import type { Utm } from '../../collector/ingest/page-url.ts';

function page(utm: Partial<Utm> = {}, paidClick = false) {
  return {
    hostname: 'example.com',
    utm: { source: '', medium: '', campaign: '', term: '', content: '', ...utm },
    paidClick,
  };
}

test('classifies google.com referrer as organic search', () => {
  assert.deepEqual(classifyReferrer('https://www.google.com/', page()), {
    referrer: 'google.com',
    source: 'Google',
    channel: 'organic_search',
  });
});

test('recognises Google country domains as Google', () => {
  for (const ref of ['https://www.google.co.uk/', 'https://www.google.de/', 'https://www.google.com.au/search']) {
    const r = classifyReferrer(ref, page());
    assert.equal(r.source, 'Google', ref);
    assert.equal(r.channel, 'organic_search', ref);
  }
});

test('classifies other search engines as organic search', () => {
  const cases: Array<[string, string]> = [
    ['https://www.bing.com/search', 'Bing'],
    ['https://duckduckgo.com/', 'DuckDuckGo'],
    ['https://search.yahoo.com/search', 'Yahoo!'],
    ['https://yandex.ru/search/', 'Yandex'],
    ['https://www.baidu.com/link', 'Baidu'],
    ['https://www.ecosia.org/search', 'Ecosia'],
    ['https://search.brave.com/search', 'Brave Search'],
    ['https://www.startpage.com/', 'Startpage'],
    ['https://www.qwant.com/', 'Qwant'],
    ['https://search.naver.com/search.naver', 'Naver'],
    ['https://search.seznam.cz/', 'Seznam'],
  ];
  for (const [ref, source] of cases) {
    assert.deepEqual([classifyReferrer(ref, page()).source, classifyReferrer(ref, page()).channel], [source, 'organic_search'], ref);
  }
});

test('classifies social networks and their link shorteners as social', () => {
  const cases: Array<[string, string]> = [
    ['https://l.facebook.com/', 'Facebook'],
    ['https://lm.facebook.com/', 'Facebook'],
    ['https://m.facebook.com/', 'Facebook'],
    ['https://l.instagram.com/', 'Instagram'],
    ['https://t.co/abc123', 'X / Twitter'],
    ['https://x.com/someone', 'X / Twitter'],
    ['https://lnkd.in/xyz', 'LinkedIn'],
    ['https://www.linkedin.com/', 'LinkedIn'],
    ['https://old.reddit.com/r/node', 'Reddit'],
    ['https://m.youtube.com/', 'YouTube'],
    ['https://www.tiktok.com/', 'TikTok'],
    ['https://www.pinterest.co.uk/', 'Pinterest'],
    ['https://news.ycombinator.com/item?id=1', 'Hacker News'],
  ];
  for (const [ref, source] of cases) {
    const r = classifyReferrer(ref, page());
    assert.deepEqual([r.source, r.channel], [source, 'social'], ref);
  }
});

test('classifies webmail referrers as email', () => {
  for (const [ref, source] of [
    ['https://mail.google.com/', 'Gmail'],
    ['https://outlook.live.com/', 'Outlook'],
    ['https://mail.yahoo.com/', 'Yahoo Mail'],
    ['android-app://com.google.android.gm/', 'Gmail'],
  ] as const) {
    const r = classifyReferrer(ref, page());
    assert.deepEqual([r.source, r.channel], [source, 'email'], ref);
  }
});

test('classifies known non-search sites as named referrals', () => {
  for (const [ref, source] of [
    ['https://chatgpt.com/', 'ChatGPT'],
    ['https://chat.openai.com/', 'ChatGPT'],
    ['https://www.perplexity.ai/', 'Perplexity'],
    ['https://github.com/org/repo', 'GitHub'],
    ['https://en.wikipedia.org/wiki/Analytics', 'Wikipedia'],
    ['https://stackoverflow.com/questions/1', 'Stack Overflow'],
  ] as const) {
    const r = classifyReferrer(ref, page());
    assert.deepEqual([r.source, r.channel], [source, 'referral'], ref);
  }
});

test('uses the host without www. as source for unknown referrers', () => {
  assert.deepEqual(classifyReferrer('https://www.some-blog.dev/posts/1?x=1#top', page()), {
    referrer: 'some-blog.dev/posts/1',
    source: 'some-blog.dev',
    channel: 'referral',
  });
});

test('normalises the referrer to host and path without query or fragment', () => {
  assert.equal(classifyReferrer('https://news.ycombinator.com/item?id=123#c', page()).referrer, 'news.ycombinator.com/item');
  assert.equal(classifyReferrer('https://blog.example.org/post/', page()).referrer, 'blog.example.org/post');
});

test('accepts a referrer given without a scheme', () => {
  assert.equal(classifyReferrer('news.ycombinator.com/item', page()).source, 'Hacker News');
});

test('treats a missing, empty or non-web referrer as direct', () => {
  const direct = { referrer: '', source: '', channel: 'direct' };
  assert.deepEqual(classifyReferrer(undefined, page()), direct);
  assert.deepEqual(classifyReferrer('', page()), direct);
  assert.deepEqual(classifyReferrer('chrome-extension://abcdef/popup.html', page()), direct);
  assert.deepEqual(classifyReferrer('about:blank', page()), direct);
});

test('turns self-referrals into direct with no source', () => {
  const direct = { referrer: '', source: '', channel: 'direct' };
  assert.deepEqual(classifyReferrer('https://example.com/pricing', page()), direct);
  assert.deepEqual(classifyReferrer('https://www.example.com/', page()), direct);
  // Internal links tagged with UTM must not start a new source either.
  assert.deepEqual(classifyReferrer('https://example.com/', page({ source: 'banner', medium: 'cpc' })), direct);
});

test('treats a subdomain of the site as a referral, not a self-referral', () => {
  assert.equal(classifyReferrer('https://blog.example.com/', page()).channel, 'referral');
});

test('uses utm_source as source when there is no referrer', () => {
  assert.deepEqual(classifyReferrer(undefined, page({ source: 'newsletter' })), {
    referrer: '',
    source: 'newsletter',
    channel: 'referral',
  });
});

test('prefers the referrer over utm_source for the source name', () => {
  assert.equal(classifyReferrer('https://t.co/x', page({ source: 'my-campaign' })).source, 'X / Twitter');
});

test('classifies utm_medium email as email', () => {
  for (const medium of ['email', 'E-Mail', 'e_mail', 'e mail']) {
    assert.equal(classifyReferrer(undefined, page({ source: 'newsletter', medium })).channel, 'email', medium);
  }
});

test('classifies utm_medium cpc with a search engine as paid search', () => {
  assert.deepEqual(classifyReferrer('https://www.google.com/', page({ source: 'google', medium: 'cpc' })), {
    referrer: 'google.com',
    source: 'Google',
    channel: 'paid_search',
  });
});

test('recognises utm_source google without a referrer as a search engine', () => {
  const r = classifyReferrer(undefined, page({ source: 'google', medium: 'ppc' }));
  assert.deepEqual([r.source, r.channel], ['Google', 'paid_search']);
});

test('classifies a paid click id from a search engine as paid search', () => {
  assert.equal(classifyReferrer('https://www.bing.com/', page({}, true)).channel, 'paid_search');
});

test('classifies paid media on social networks as paid social', () => {
  assert.equal(classifyReferrer('https://l.facebook.com/', page({ medium: 'paid_social' })).channel, 'paid_social');
  assert.equal(classifyReferrer(undefined, page({ source: 'fb', medium: 'cpm' })).channel, 'paid_social');
  assert.equal(classifyReferrer(undefined, page({ source: 'fb', medium: 'retargeting' })).channel, 'paid_social');
});

test('classifies paid media elsewhere as paid', () => {
  assert.equal(classifyReferrer(undefined, page({ source: 'partner-site', medium: 'cpa' })).channel, 'paid');
  assert.equal(classifyReferrer(undefined, page({}, true)).channel, 'paid');
});

test('does not treat mediums that merely contain p, c as paid', () => {
  assert.equal(classifyReferrer(undefined, page({ source: 'partner', medium: 'banner' })).channel, 'referral');
});

test('classifies social utm_medium values as social', () => {
  for (const medium of ['social', 'social-network', 'sm']) {
    assert.equal(classifyReferrer(undefined, page({ source: 'mastodon', medium })).channel, 'social', medium);
  }
});
