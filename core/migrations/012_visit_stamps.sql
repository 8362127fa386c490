-- Each event carries its visit's fixed attributes (what the visit took from its first event, its visitor type), as
-- the worker knows them from the visit snapshot. A visit filter on event figures (top pages of visits from Google)
-- is then a test of the event's own columns instead of `session_id IN (visits matching)`, which at 100 M events made
-- a filtered overview's event panels 9x slower (BENCHMARKS.md §3). One named tuple, stored as one column file per
-- element: the worker appends the snapshot's attributes JSON to the event line as it is, with no parsing (JSONEachRow
-- reads an object into a named tuple). The element names are core/event.ts's SESSION_ATTRIBUTES, then the visit's
-- id type and new-visitor flag; the dimension catalog (dashboard/api/query/catalog/dimensions.ts) reads them.
--
-- Events stored before this migration carry no stamp (empty elements), so sites that already have events record when
-- stamping began (sites.visits_stamped_since): a range starting before it tests membership the old way.

ALTER TABLE events ADD COLUMN IF NOT EXISTS visit Tuple(
  hostname LowCardinality(String),
  referrer String,
  referrer_source LowCardinality(String),
  channel LowCardinality(String),
  utm_source String,
  utm_medium String,
  utm_campaign String,
  utm_term String,
  utm_content String,
  country_code LowCardinality(String),
  region LowCardinality(String),
  city LowCardinality(String),
  browser LowCardinality(String),
  browser_version LowCardinality(String),
  os LowCardinality(String),
  os_version LowCardinality(String),
  device_type LowCardinality(String),
  screen_size LowCardinality(String),
  id_type LowCardinality(String),
  new_visitor UInt8
);

ALTER TABLE sites ADD COLUMN IF NOT EXISTS visits_stamped_since DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC');

-- (The filter is inside: in the outer query the replaced names would be the new values.)
INSERT INTO sites SELECT * REPLACE (now64(3, 'UTC') AS visits_stamped_since, version + 1 AS version)
  FROM (SELECT * FROM sites FINAL WHERE deleted = 0 AND visits_stamped_since = toDateTime64(0, 3, 'UTC')
    AND site_id IN (SELECT DISTINCT site_id FROM events));
