-- title: orphaned secrets
-- about: one row per secret not read for more than orphan_days (view orphaned_secrets)
select * from orphaned_secrets
