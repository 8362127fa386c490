-- Page filters on raw rows: "visits that viewed /pricing" (dashboard/api/query/sql/sources.ts, visitHasEvent) reads the
-- visits of a page's events, and events are ordered by day and name, not page, so that read scanned the pathname of
-- every event of the range. This projection keeps those few columns again, ordered by page: the engine reads only
-- the page's own granules (about 4x faster at 10 M events; BENCHMARKS.md section 3). It answers where it reads fewer
-- rows and holds every column asked for; every other read of events is unchanged.
-- Costs about a quarter of the events table's disk again; inserts measured within noise of the plain table.
ALTER TABLE events ADD PROJECTION IF NOT EXISTS events_by_page (SELECT site_id, pathname, timestamp, name, session_id ORDER BY site_id, pathname, timestamp);

-- A lightweight DELETE (the demo generator rewriting a site) drops the projection of the parts it changes, which are
-- then read as before. The default refuses a DELETE on a table with projections, and 'rebuild' kept deleted rows
-- visible through the projection in the embedded engine (26.7; tests/integration/migrations.int.test.ts pins 'drop').
ALTER TABLE events MODIFY SETTING lightweight_mutation_projection_mode = 'drop';

-- Parts stored before this migration get the projection in the background (a mutation); until then those parts are
-- read as before.
ALTER TABLE events MATERIALIZE PROJECTION events_by_page;
