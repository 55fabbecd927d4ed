-- orphaned_secrets: one row per inventory secret with no successful read for more than
-- orphan_days as of the last day of the period, including secrets never read at all.
-- Inputs: secrets, events (secret.read with outcome ok; a write is not a read), and the
-- inventory's last_accessed_at (AWS LastAccessedDate) where the log has nothing later.
-- Parameters: the period end, orphan_days. A secret never read is orphaned once it is older
-- than orphan_days (or its creation date is unknown).
with reads as (
    -- keyed by resource and by its alias (an AWS secret's bare name), as rotation_status does
    select key as resource, max(ts) as read_at
    from (
        select unnest(case when resource_alias is null then [resource] else [resource, resource_alias] end) as key, ts
        from events
        where category = 'secret.read' and outcome = 'ok' and ts < vl_period_end()
    )
    group by key
),
last_read as (
    select s.secret_id, s.store, s.kind, s.owner, s.created_at,
        greatest(r.read_at, case when s.last_accessed_at < vl_period_end() then s.last_accessed_at end)
            as last_read_at
    from secrets s
    left join reads r on r.resource = s.secret_id
)
select
    secret_id, store, kind, owner,
    last_read_at,
    vl_as_of_date() - vl_day(last_read_at) as days_since_read,
    case when last_read_at is null then 'never read'
         else 'not read for ' || (vl_as_of_date() - vl_day(last_read_at)) || ' days' end as reason,
    vl_as_of_date() as as_of
from last_read
where case
    when last_read_at is null then created_at is null or vl_day(created_at) < vl_as_of_date() - vl_threshold('orphan_days')::integer
    else vl_as_of_date() - vl_day(last_read_at) > vl_threshold('orphan_days')::integer
end
