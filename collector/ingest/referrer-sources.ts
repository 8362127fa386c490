// Well-known referrer hosts -> friendly source name and the kind that drives
// the channel grouping. Kinds follow GA4's lists (e.g. Hacker News and YouTube
// count as social); AI assistants, GitHub etc. are plain referrals.

export type SourceKind = 'search' | 'social' | 'email' | 'other';

export interface SourceEntry {
  name: string;
  kind: SourceKind;
}

const S = (name: string): SourceEntry => ({ name, kind: 'search' });
const SO = (name: string): SourceEntry => ({ name, kind: 'social' });
const E = (name: string): SourceEntry => ({ name, kind: 'email' });
const O = (name: string): SourceEntry => ({ name, kind: 'other' });

// Keys are hosts without 'www.'; a key matches the host and its subdomains.
// 'brand.*' matches the brand on any ccTLD (google.de, google.co.uk, ...).
const HOSTS: Record<string, SourceEntry> = {
  // search engines
  'google.com': S('Google'),
  'google.*': S('Google'),
  'com.google.android.googlequicksearchbox': S('Google'), // android-app:// referrer
  'bing.com': S('Bing'),
  'duckduckgo.com': S('DuckDuckGo'),
  'yahoo.com': S('Yahoo!'),
  'yahoo.*': S('Yahoo!'),
  'yandex.ru': S('Yandex'),
  'yandex.*': S('Yandex'),
  'ya.ru': S('Yandex'),
  'baidu.com': S('Baidu'),
  'ecosia.org': S('Ecosia'),
  'search.brave.com': S('Brave Search'),
  'startpage.com': S('Startpage'),
  'qwant.com': S('Qwant'),
  'naver.com': S('Naver'),
  'seznam.cz': S('Seznam'),
  'search.aol.com': S('AOL'),
  'ask.com': S('Ask'),
  'sogou.com': S('Sogou'),
  'so.com': S('360 Search'),
  'daum.net': S('Daum'),
  'kagi.com': S('Kagi'),
  'mojeek.com': S('Mojeek'),
  // social networks and communities
  'facebook.com': SO('Facebook'),
  'fb.com': SO('Facebook'),
  'fb.me': SO('Facebook'),
  'messenger.com': SO('Facebook'),
  'instagram.com': SO('Instagram'),
  't.co': SO('X / Twitter'),
  'twitter.com': SO('X / Twitter'),
  'x.com': SO('X / Twitter'),
  'linkedin.com': SO('LinkedIn'),
  'lnkd.in': SO('LinkedIn'),
  'reddit.com': SO('Reddit'),
  'youtube.com': SO('YouTube'),
  'youtu.be': SO('YouTube'),
  'tiktok.com': SO('TikTok'),
  'pinterest.com': SO('Pinterest'),
  'pinterest.*': SO('Pinterest'),
  'pin.it': SO('Pinterest'),
  'news.ycombinator.com': SO('Hacker News'),
  'threads.net': SO('Threads'),
  'threads.com': SO('Threads'),
  'bsky.app': SO('Bluesky'),
  'quora.com': SO('Quora'),
  'tumblr.com': SO('Tumblr'),
  'vk.com': SO('VK'),
  'weibo.com': SO('Weibo'),
  'discord.com': SO('Discord'),
  'discordapp.com': SO('Discord'),
  't.me': SO('Telegram'),
  'web.telegram.org': SO('Telegram'),
  'whatsapp.com': SO('WhatsApp'),
  'producthunt.com': SO('Product Hunt'),
  'medium.com': SO('Medium'),
  'twitch.tv': SO('Twitch'),
  'snapchat.com': SO('Snapchat'),
  // webmail
  'mail.google.com': E('Gmail'),
  'com.google.android.gm': E('Gmail'), // android-app:// referrer
  'outlook.live.com': E('Outlook'),
  'outlook.office.com': E('Outlook'),
  'outlook.office365.com': E('Outlook'),
  'mail.yahoo.com': E('Yahoo Mail'),
  'mail.yahoo.*': E('Yahoo Mail'),
  'mail.proton.me': E('Proton Mail'),
  'mail.aol.com': E('AOL Mail'),
  // other well-known referrers
  'news.google.com': O('Google News'),
  'play.google.com': O('Google Play'),
  'gemini.google.com': O('Gemini'),
  'chatgpt.com': O('ChatGPT'),
  'chat.openai.com': O('ChatGPT'),
  'perplexity.ai': O('Perplexity'),
  'claude.ai': O('Claude'),
  'copilot.microsoft.com': O('Copilot'),
  'github.com': O('GitHub'),
  'gitlab.com': O('GitLab'),
  'stackoverflow.com': O('Stack Overflow'),
  'wikipedia.org': O('Wikipedia'),
};

// Common utm_source spellings that are not hosts.
const UTM_ALIASES: Record<string, string> = {
  google: 'google.com',
  adwords: 'google.com',
  bing: 'bing.com',
  duckduckgo: 'duckduckgo.com',
  yahoo: 'yahoo.com',
  yandex: 'yandex.ru',
  baidu: 'baidu.com',
  ecosia: 'ecosia.org',
  facebook: 'facebook.com',
  fb: 'facebook.com',
  instagram: 'instagram.com',
  ig: 'instagram.com',
  twitter: 'twitter.com',
  x: 'x.com',
  linkedin: 'linkedin.com',
  reddit: 'reddit.com',
  youtube: 'youtube.com',
  tiktok: 'tiktok.com',
  pinterest: 'pinterest.com',
  hackernews: 'news.ycombinator.com',
  hn: 'news.ycombinator.com',
  gmail: 'mail.google.com',
  outlook: 'outlook.live.com',
  chatgpt: 'chatgpt.com',
  'chatgpt.com': 'chatgpt.com',
  perplexity: 'perplexity.ai',
  github: 'github.com',
};

// 'google.co.uk' -> 'google.*': one label, then an optional co./com. and a ccTLD.
const CC_DOMAIN = /^((?:mail\.)?[a-z0-9-]+)\.(?:com?\.)?[a-z]{2}$/;

/** Finds the entry for a host (lowercase, any subdomain), most specific first. */
export function lookupHost(host: string): SourceEntry | undefined {
  const labels = host.split('.');
  for (let i = 0; i < labels.length - 1; i++) {
    const suffix = labels.slice(i).join('.');
    const exact = HOSTS[suffix];
    if (exact) return exact;
    const cc = CC_DOMAIN.exec(suffix);
    const wild = cc ? HOSTS[`${cc[1]}.*`] : undefined;
    if (wild) return wild;
  }
  return undefined;
}

/** Maps a utm_source value ('google', 'fb', 'facebook.com') to a known entry. */
export function lookupUtmSource(value: string): SourceEntry | undefined {
  const v = value.trim().toLowerCase();
  const alias = UTM_ALIASES[v];
  if (alias) return HOSTS[alias];
  return v.includes('.') ? lookupHost(v.replace(/^www\./, '')) : undefined;
}
