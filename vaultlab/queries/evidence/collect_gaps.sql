-- title: collect gaps
-- about: one row per path the latest collection per store and source could not read (run_id: the
--   collection it comes from)
-- key: source, path
select r.store, r.source, r.taken_at, g.path, g.reason, r.run_id
from vl_latest_collections(null) r
join collect_gaps g using (run_id)
