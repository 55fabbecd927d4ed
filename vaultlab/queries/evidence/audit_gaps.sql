-- title: audit gaps
-- about: one row per silent stretch of a source's log in the period (view audit_gaps)
select * from audit_gaps
