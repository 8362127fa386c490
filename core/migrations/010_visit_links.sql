-- Each visit remembers when its visitor's previous visit on the site started (prev_start), if that was within the
-- link window (VISIT_LINK_WINDOW_MS, 32 days; 0 otherwise). The ingest script keeps one small Redis key per cookie
-- visitor for that long. Visit frequency over a range of up to the window then needs no GROUP BY over every visitor:
-- a visit whose previous one started before the range is its visitor's first in the range (one per visitor), so only
-- the repeat visits are grouped by visitor (a tenth of the visits of the demo site). See visitor:frequency in
-- dashboard/api/query/sources.ts.
--
-- Visits stored before this migration have no link, so sites that already have visits record when linking began
-- (sites.visits_linked_since): a range starting before it is counted the old way.

ALTER TABLE sessions ADD COLUMN IF NOT EXISTS prev_start DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC') AFTER start;

ALTER TABLE sites ADD COLUMN IF NOT EXISTS visits_linked_since DateTime64(3, 'UTC') DEFAULT toDateTime64(0, 3, 'UTC');

-- (The filter is inside: in the outer query the replaced names would be the new values.)
INSERT INTO sites SELECT * REPLACE (now64(3, 'UTC') AS visits_linked_since, version + 1 AS version)
  FROM (SELECT * FROM sites FINAL WHERE deleted = 0 AND visits_linked_since = toDateTime64(0, 3, 'UTC')
    AND site_id IN (SELECT DISTINCT site_id FROM sessions));
