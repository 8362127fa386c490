-- Visitor recognition, visit (session) state and the append to the ingest stream, in one atomic round trip.
-- ARGV: 1 key prefix, 2 site id, 3 cookie visitor id or '', 4 cookieless id, 5 'cookieless'|'auto',
--       6 cookieless reason, 7 new visitor id, 8 new session id, 9 session timeout ms, 10 issued-cookie ttl ms,
--       11 event row JSON, 12 event time ms, 13 event kind ('p' pageview, 'c' custom, 'e' engagement),
--       14 page path, 15 engagement ms, 16 session attributes JSON (used when this event starts a visit)
-- Returns {stream id or false, visitor id, id type, '1' when a cookie id was issued}.
local p, site = ARGV[1], ARGV[2]
local visitor, idtype, reason, isnew = '', 'cookie', '', '0'
if ARGV[5] == 'cookieless' then
  visitor, idtype, reason = ARGV[4], 'cookieless', ARGV[6]
elseif ARGV[3] ~= '' then
  visitor = ARGV[3]
else
  -- No cookie: a cookie id issued to the same daily hash within 30 minutes that never came back means the browser
  -- refuses cookies. The visit keeps that id and counts as cookieless.
  local ik = p .. 'iss:' .. site .. ':' .. ARGV[4]
  local issued = redis.call('GET', ik)
  if issued then
    visitor, idtype, reason = issued, 'cookieless', 'refused'
    redis.call('PEXPIRE', ik, ARGV[10])
  else
    visitor, isnew = ARGV[7], '1'
    redis.call('SET', ik, visitor, 'PX', ARGV[10])
  end
end

local now, kind, path, eng = tonumber(ARGV[12]), ARGV[13], ARGV[14], tonumber(ARGV[15])
local timeout = tonumber(ARGV[9])
local sk = p .. 's:' .. site .. ':' .. visitor
-- i id, v version, s start, e end, p pageviews, c custom events, g engagement ms, n entry page, x exit page,
-- a attributes JSON, t id type, r cookieless reason, w new visitor
local st = redis.call('HMGET', sk, 'i', 'v', 's', 'e', 'p', 'c', 'g', 'n', 'x', 'a', 't', 'r', 'w')
-- The visit goes on while events are less than the timeout apart, measured in event time (imports replay history).
local live = st[1] and (now - tonumber(st[4]) <= timeout)
local prev = nil
if live then
  prev = {st[4], st[5], st[6], st[7], st[9]}
else
  -- An engagement ping never opens a visit: it belongs to one that has ended.
  if kind == 'e' then return {false, visitor, idtype, isnew} end
  st = {ARGV[8], '0', ARGV[12], ARGV[12], '0', '0', '0', '', '', ARGV[16], idtype, reason, isnew}
end
local version = tonumber(st[2]) + 1
local e = math.max(tonumber(st[4]), now)
local pv, cu, g = tonumber(st[5]), tonumber(st[6]), tonumber(st[7]) + eng
local entry, exit = st[8], st[9]
if kind == 'p' then
  pv = pv + 1
  exit = path
  if entry == '' then entry = path end
elseif kind == 'c' then
  cu = cu + 1
end
redis.call('HSET', sk, 'i', st[1], 'v', version, 's', st[3], 'e', e, 'p', pv, 'c', cu, 'g', g, 'n', entry, 'x', exit,
  'a', st[10], 't', st[11], 'r', st[12], 'w', st[13])
redis.call('PEXPIRE', sk, timeout)

local fields = {'k', 'w', 'd', ARGV[11], 'v', visitor, 's', st[1], 't', idtype, 'r', reason, 'n', isnew,
  'sv', version, 'ss', st[3], 'se', e, 'sp', pv, 'sc', cu, 'sg', g, 'sn', entry, 'sx', exit, 'sa', st[10],
  'st', st[11], 'sr', st[12], 'sw', st[13]}
if prev then
  for i, name in ipairs({'pe', 'pp', 'pc', 'pg', 'px'}) do
    fields[#fields + 1] = name
    fields[#fields + 1] = prev[i]
  end
end
local id = redis.call('XADD', p .. 'ingest', '*', unpack(fields))
return {id, visitor, idtype, isnew}
