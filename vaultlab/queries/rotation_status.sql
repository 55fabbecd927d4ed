-- rotation_status: one row per secret in the inventory: when it was last rotated, when it is
-- due, and whether it is overdue, as of the last day of the period.
-- Inputs: secrets, events (a successful write of a new value, or a rotation the store reports
-- as succeeded, counts as a rotation).
-- Parameters: the period end; rotation_days_<kind>, tls_renew_before_days, due_soon_days.
-- A secret's own rotation_days overrides its kind's. A tls-certificate is due
-- tls_renew_before_days before it expires. Dates only count if they are before the period end: a
-- secret whose only known rotation came after it (an inventory taken later) is 'unknown' as of
-- the period end, never 'never'.
with last_write as (
    -- keyed by resource and by its alias (an AWS secret's bare name) so that an inventory
    -- naming secrets either way matches
    select key as resource, max(ts) as written_at
    from (
        select unnest(case when resource_alias is null then [resource] else [resource, resource_alias] end) as key, ts
        from events
        where outcome = 'ok' and ts < vl_period_end()
          and (category = 'secret.rotate'
               or category = 'secret.write'
                  and (source <> 'vault' or path not like '%/metadata/%' and path not like '%/undelete/%'))
    )
    group by key
),
known as (
    select s.*,
        case when s.last_rotated_at < vl_period_end() then s.last_rotated_at end as inventory_rotated_at,
        case when s.last_rotated_at >= vl_period_end() then s.last_rotated_at end as rotated_after_end_at,
        w.written_at,
        coalesce(s.rotation_days, case s.kind
            when 'database' then vl_threshold('rotation_days_database')
            when 'password' then vl_threshold('rotation_days_password')
            when 'api-key' then vl_threshold('rotation_days_api_key')
            when 'ssh-key' then vl_threshold('rotation_days_ssh_key')
            when 'encryption-key' then vl_threshold('rotation_days_encryption_key')
            when 'oauth-secret' then vl_threshold('rotation_days_oauth_secret')
            when 'service-token' then vl_threshold('rotation_days_service_token')
            else vl_threshold('rotation_days_other') end::integer) as interval_days
    from secrets s
    left join last_write w on w.resource = s.secret_id
),
due as (
    select *,
        greatest(inventory_rotated_at, written_at) as rotated_at,
        case
            when kind = 'tls-certificate' and expires_at is not null
                then vl_day(expires_at) - vl_threshold('tls_renew_before_days')::integer
            when greatest(inventory_rotated_at, written_at) is not null
                then vl_day(greatest(inventory_rotated_at, written_at)) + interval_days
        end as due_date
    from known
)
select
    secret_id,
    store,
    kind,
    owner,
    rotated_at as last_rotated_at,
    case when written_at >= inventory_rotated_at or inventory_rotated_at is null and written_at is not null
         then 'audit log' when inventory_rotated_at is not null then 'inventory' end as rotation_seen_in,
    interval_days as rotation_days,
    due_date as due_at,
    greatest(vl_as_of_date() - due_date, 0) as days_overdue,
    rotated_after_end_at,
    case
        when due_date is null and rotated_after_end_at is not null then 'unknown'
        when due_date is null then 'never'
        when due_date < vl_as_of_date() then 'overdue'
        when due_date - vl_as_of_date() <= vl_threshold('due_soon_days')::integer then 'due_soon'
        else 'ok'
    end as status,
    vl_as_of_date() as as_of
from due
