-- title: source coverage
-- about: one row per audit source: how its events cover the period (view source_coverage)
select * from source_coverage
