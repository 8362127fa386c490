-- Visitor recognition, visit (session) state and the append to the ingest stream for a batch of web events, in one
-- atomic round trip. The collector gathers the events that arrive in one turn of its event loop into one call, so
-- the per-call costs (client command, script start, reply) are paid once per batch, not once per event.
-- ARGV: 1 key prefix, 2 session timeout ms, 3 issued-cookie ttl ms, 4 visit link window ms, then EVENT_ARGS (A, the
-- offset of each named argument within an event's) for each event. The visit snapshot appended with each event is an
-- array of SNAPSHOT_FIELDS (M, each field's position). Both lists are declared once, in core/ingest-stream.ts, which
-- puts A, M and PER_EVENT in front of this script.
-- Returns 4 values per event: stream id (or 0 for an engagement ping outside any visit, which is not stored, or -1
-- when this event failed, with the error in the next value), visitor id, id type, '1' when a cookie id was issued.
-- Each event runs under pcall: one that fails (e.g. Redis out of memory refusing the append) fails alone, and the
-- events before it, already appended, keep their ids, so every client is told exactly what happened to its event.
local p = ARGV[1]
local timeout, issuedTtl, linkTtl = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local stream = p .. 'ingest'
local out = {}

local function ingest(a)
  local site = ARGV[a + A.site]
  local visitor, idtype, reason, isnew = '', 'cookie', '', '0'
  if ARGV[a + A.mode] == 'cookieless' then
    visitor, idtype, reason = ARGV[a + A.cookieless_id], 'cookieless', ARGV[a + A.cookieless_reason]
  elseif ARGV[a + A.cookie_id] ~= '' then
    visitor = ARGV[a + A.cookie_id]
  else
    -- No cookie: a cookie id issued to the same daily hash within 30 minutes that never came back means the browser
    -- refuses cookies. The visit keeps that id and counts as cookieless.
    local ik = p .. 'iss:' .. site .. ':' .. ARGV[a + A.cookieless_id]
    local issued = redis.call('GET', ik)
    if issued then
      visitor, idtype, reason = issued, 'cookieless', 'refused'
      redis.call('PEXPIRE', ik, issuedTtl)
    else
      visitor, isnew = ARGV[a + A.new_visitor_id], '1'
      redis.call('SET', ik, visitor, 'PX', issuedTtl)
    end
  end

  local now, kind, path, eng = tonumber(ARGV[a + A.at]), ARGV[a + A.kind], ARGV[a + A.path], tonumber(ARGV[a + A.engagement_ms])
  local sk = p .. 's:' .. site .. ':' .. visitor
  -- i id, v version, s start, e end, p pageviews, c custom events, g engagement ms, n entry page, x exit page,
  -- a attributes JSON, t id type, r cookieless reason, w new visitor, q start of the visitor's previous visit ('' none)
  local st = redis.call('HMGET', sk, 'i', 'v', 's', 'e', 'p', 'c', 'g', 'n', 'x', 'a', 't', 'r', 'w', 'q')
  -- The visit goes on while events are less than the timeout apart, measured in event time (imports replay history).
  local live = st[1] and (now - tonumber(st[4]) <= timeout)
  local prev = nil
  if live then
    prev = {st[4], st[5], st[6], st[7], st[9]}
  else
    -- An engagement ping never opens a visit: it belongs to one that has ended.
    if kind == 'e' then return 0, visitor, idtype, isnew end
    -- A cookie visitor's last visit start is kept for the link window (one small key each), so each visit records
    -- when the one before it started: visit frequency then groups only repeat visits (see migration 010).
    local q = ''
    if idtype == 'cookie' then
      local lk = p .. 'l:' .. site .. ':' .. visitor
      local last = tonumber(redis.call('GET', lk))
      -- In event time, like the visit timeout (imports replay history): within the window, and never a later visit.
      if last and last < now and now - last <= tonumber(linkTtl) then q = tostring(last) end
      if not last or last < now then redis.call('SET', lk, ARGV[a + A.at], 'PX', linkTtl) end
    end
    st = {ARGV[a + A.new_session_id], '0', ARGV[a + A.at], ARGV[a + A.at], '0', '0', '0', '', '', ARGV[a + A.attributes], idtype, reason, isnew, q}
  end
  -- Visits opened before links existed have no q.
  local linked = st[14] or ''
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
    'a', st[10], 't', st[11], 'r', st[12], 'w', st[13], 'q', linked)
  redis.call('PEXPIRE', sk, timeout)

  -- The visit snapshot travels as one JSON array of SNAPSHOT_FIELDS (see decodeEntry): a few stream fields instead of
  -- thirty-odd keeps both the append and the worker's read cheap. Numbers are strings so no precision is left to the
  -- encoder.
  local m = {}
  m[M.visitor], m[M.session], m[M.id_type], m[M.cookieless_reason], m[M.new_visitor] = visitor, st[1], idtype, reason, isnew
  m[M.version], m[M.start], m[M['end']], m[M.pageviews], m[M.events] = tostring(version), st[3], tostring(e), tostring(pv), tostring(cu)
  m[M.engagement_ms], m[M.entry_page], m[M.exit_page], m[M.attributes] = tostring(g), entry, exit, st[10]
  m[M.visit_id_type], m[M.visit_cookieless_reason], m[M.visit_new_visitor], m[M.site] = st[11], st[12], st[13], site
  if prev then
    m[M.prev_end], m[M.prev_pageviews], m[M.prev_events], m[M.prev_engagement_ms], m[M.prev_exit_page] = prev[1], prev[2], prev[3], prev[4], prev[5]
  end
  local id = redis.call('XADD', stream, '*', 'k', 'x', 'd', ARGV[a + A.row], 'm', cjson.encode(m), 'l', linked)
  return id, visitor, idtype, isnew
end

for a = 5, #ARGV, PER_EVENT do
  local ok, id, visitor, idtype, isnew = pcall(ingest, a)
  if not ok then
    id, visitor, idtype, isnew = -1, type(id) == 'table' and (id.err or 'error') or tostring(id), '', '0'
  end
  out[#out + 1] = id
  out[#out + 1] = visitor
  out[#out + 1] = idtype
  out[#out + 1] = isnew
end
return out
