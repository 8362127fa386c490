import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePageUrl } from '../../collector/ingest/page-url.ts';

const noUtm = { source: '', medium: '', campaign: '', term: '', content: '' };

test('parses a plain https URL into hostname and pathname', () => {
  assert.deepEqual(parsePageUrl('https://example.com/pricing', false), {
    hostname: 'example.com',
    pathname: '/pricing',
    utm: noUtm,
    paidClick: false,
  });
});

test('returns null for relative, non-http and unparsable URLs', () => {
  for (const url of ['/pricing', 'example.com/pricing', 'ftp://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', '', 'http://']) {
    assert.equal(parsePageUrl(url, false), null, url);
  }
});

test('lowercases the hostname and drops a leading www.', () => {
  assert.equal(parsePageUrl('https://WWW.Example.COM/', false)?.hostname, 'example.com');
  assert.equal(parsePageUrl('http://www.example.com./a', false)?.hostname, 'example.com');
  // Only a leading www. label is dropped.
  assert.equal(parsePageUrl('https://shop.www.example.com/', false)?.hostname, 'shop.www.example.com');
});

test('removes the trailing slash except for the root path', () => {
  assert.equal(parsePageUrl('https://example.com/blog/', false)?.pathname, '/blog');
  assert.equal(parsePageUrl('https://example.com/blog//', false)?.pathname, '/blog');
  assert.equal(parsePageUrl('https://example.com/', false)?.pathname, '/');
  assert.equal(parsePageUrl('https://example.com', false)?.pathname, '/');
});

test('removes the query string from the pathname', () => {
  assert.equal(parsePageUrl('https://example.com/search?q=shoes&page=2', false)?.pathname, '/search');
});

test('percent-decodes the pathname', () => {
  assert.equal(parsePageUrl('https://example.com/caf%C3%A9/men%C3%BC', false)?.pathname, '/café/menü');
  assert.equal(parsePageUrl('https://example.com/hello%20world', false)?.pathname, '/hello world');
});

test('keeps a pathname with malformed percent escapes raw', () => {
  assert.equal(parsePageUrl('https://example.com/100%25/bad%E0%A4%A', false)?.pathname, '/100%25/bad%E0%A4%A');
});

test('caps the pathname at 1024 characters', () => {
  const p = parsePageUrl('https://example.com/' + 'a'.repeat(5000), false);
  assert.equal(p?.pathname.length, 1024);
});

test('drops the fragment without hash routing', () => {
  assert.equal(parsePageUrl('https://example.com/app#/settings', false)?.pathname, '/app');
});

test('appends the fragment route to the pathname with hash routing', () => {
  assert.equal(parsePageUrl('https://example.com/app#/settings', true)?.pathname, '/app#/settings');
  assert.equal(parsePageUrl('https://example.com/#/users/42/', true)?.pathname, '/#/users/42');
  assert.equal(parsePageUrl('https://example.com/app/?x=1#/settings?tab=2', true)?.pathname, '/app#/settings');
});

test('ignores an empty or root-only fragment with hash routing', () => {
  assert.equal(parsePageUrl('https://example.com/app#', true)?.pathname, '/app');
  assert.equal(parsePageUrl('https://example.com/#/', true)?.pathname, '/');
});

test('reads all five utm parameters', () => {
  const p = parsePageUrl(
    'https://example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&utm_term=shoes&utm_content=header',
    false,
  );
  assert.deepEqual(p?.utm, { source: 'newsletter', medium: 'email', campaign: 'spring sale', term: 'shoes', content: 'header' });
});

test('falls back to source and then ref for the utm source', () => {
  assert.equal(parsePageUrl('https://example.com/?ref=producthunt', false)?.utm.source, 'producthunt');
  assert.equal(parsePageUrl('https://example.com/?source=hn&ref=producthunt', false)?.utm.source, 'hn');
  assert.equal(parsePageUrl('https://example.com/?utm_source=x&source=hn&ref=ph', false)?.utm.source, 'x');
});

test('trims utm values and caps them at 256 characters', () => {
  const p = parsePageUrl(`https://example.com/?utm_campaign=${'c'.repeat(300)}&utm_source=%20news%20`, false);
  assert.equal(p?.utm.campaign.length, 256);
  assert.equal(p?.utm.source, 'news');
});

test('marks a visit with a gclid as a paid click', () => {
  assert.equal(parsePageUrl('https://example.com/?gclid=Cj0KCQ', false)?.paidClick, true);
});

test('marks visits with any ad click id as paid clicks', () => {
  for (const id of ['gbraid', 'wbraid', 'msclkid', 'dclid', 'twclid', 'li_fat_id', 'ttclid']) {
    assert.equal(parsePageUrl(`https://example.com/?${id}=abc`, false)?.paidClick, true, id);
  }
});

test('does not treat fbclid alone as a paid click', () => {
  // Facebook adds fbclid to organic shares too.
  assert.equal(parsePageUrl('https://example.com/?fbclid=IwAR0', false)?.paidClick, false);
});
