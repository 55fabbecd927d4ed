-- anomalies: one row per signal occurrence in the period, with the reason it was raised.
-- Inputs: events (of the period, and of the baseline window before it).
-- Signals and their thresholds (vaultlab.toml):
--   new_source_ip      an actor's address (IPv4 within new_ip_prefix bits) not seen for it in the
--                      baseline_days before, while the actor was active then
--   volume_spike       a day's successful reads by an actor, or of a secret, of at least
--                      volume_min_reads and over volume_spike_factor x the daily median of the
--                      baseline_days before
--   off_hours_human    a human's successful request outside business_hours_start..end on
--                      business_days in business_timezone (one row per actor and local day)
--   denied_requests    at least denied_min permission-denied requests by one actor on one
--                      resource in one day
--   failed_auth_burst  at least failed_auth_count failed logins from one address or for one
--                      login name within failed_auth_window_minutes
--   long_ttl_token     a login or token creation that issued a token with a TTL over
--                      token_max_ttl_hours
--   broad_access       an actor reading at least broad_access_secrets distinct secrets
--   multi_ip_actor     an actor seen from at least multi_ip_actor_ips addresses
-- A name claimed in an unauthenticated login (actor_type 'claimed') is nobody's behaviour:
-- it raises failed_auth_burst (by address and by the claimed name), never new_source_ip,
-- multi_ip_actor or the other per-actor signals.
with p as (
    select vl_period_start() as p_start, vl_period_end() as p_end,
           to_days(vl_threshold('baseline_days')::integer) as baseline
),
scope as not materialized (  -- each signal reads events with its own filters pushed down
    select e.ts, e.actor, e.actor_name, e.actor_type, e.resource, e.src_ip, e.category, e.outcome, e.token_ttl_s
    from events e, p
    where e.ts >= p.p_start - p.baseline and e.ts < p.p_end and e.actor is not null
),
in_period as not materialized (
    select s.* from scope s, p where s.ts >= p.p_start
),
-- new_source_ip ------------------------------------------------------------------------
addresses as (
    select actor, actor_name, src_ip, ts,
        case when regexp_matches(src_ip, '^\d+\.\d+\.\d+\.\d+$') then
            ((split_part(src_ip, '.', 1)::bigint << 24) + (split_part(src_ip, '.', 2)::bigint << 16)
             + (split_part(src_ip, '.', 3)::bigint << 8) + split_part(src_ip, '.', 4)::bigint)
            >> (32 - vl_threshold('new_ip_prefix')::integer)
        end::varchar as net4
    from scope where src_ip is not null and actor_type is distinct from 'claimed'
),
nets as (select *, coalesce(net4, src_ip) as net from addresses),
firsts as (
    select n.actor, max(n.actor_name) as actor_name, n.net, min(n.ts) as first_seen, max(n.ts) as last_seen,
           count(*) as events, min(n.src_ip) as src_ip
    from nets n, p where n.ts >= p.p_start
    group by n.actor, n.net
),
new_source_ip as (
    select 'new_source_ip' as signal, 'medium' as severity, f.actor, f.actor_name, null::varchar as resource,
           f.src_ip, f.first_seen, f.last_seen, f.events,
           coalesce(f.actor_name, f.actor) || ' used ' || f.src_ip || ', an address not seen for it in the '
               || vl_threshold('baseline_days') || ' days before' as reason
    from firsts f, p
    where exists (select 1 from nets h where h.actor = f.actor and h.ts < f.first_seen
                  and h.ts >= f.first_seen - p.baseline)
      and not exists (select 1 from nets h where h.actor = f.actor and h.net = f.net
                      and h.ts < f.first_seen and h.ts >= f.first_seen - p.baseline)
),
-- volume_spike -------------------------------------------------------------------------
reads as (
    select actor, actor_name, resource, ts, vl_day(ts) as day from scope
    where category = 'secret.read' and outcome = 'ok'
),
daily as (
    select 'actor' as kind, actor as key, max(actor_name) as actor_name, day, count(*) as n,
           min(ts) as first_seen, max(ts) as last_seen
    from reads group by actor, day
    union all
    select 'resource', resource, null, day, count(*), min(ts), max(ts)
    from reads group by resource, day
),
spikes as (
    select d.*, (select median(b.n) from daily b where b.kind = d.kind and b.key = d.key
                 and b.day < d.day and b.day >= d.day - vl_threshold('baseline_days')::integer) as usual
    from daily d, p
    where d.day >= vl_day(p.p_start) and d.first_seen >= p.p_start
      and d.n >= vl_threshold('volume_min_reads')::integer
),
volume_spike as (
    select 'volume_spike', 'medium',
           case when kind = 'actor' then key end, actor_name,
           case when kind = 'resource' then key end, null,
           first_seen, last_seen, n,
           case when kind = 'actor' then coalesce(actor_name, key) || ' read secrets ' || n || ' times on '
                else key || ' was read ' || n || ' times on ' end
               || day || '; the daily median of the ' || vl_threshold('baseline_days') || ' days before was '
               || usual
    from spikes
    where usual is not null and n > vl_threshold('volume_spike_factor')::double * usual
),
-- off_hours_human -----------------------------------------------------------------------
local_time as (
    select actor, actor_name, resource, ts, timezone(vl_threshold('business_timezone'), ts) as lt
    from in_period where actor_type = 'human' and outcome = 'ok'
),
off_hours_human as (
    select 'off_hours_human', 'low', actor, max(actor_name), min(resource), null,
           min(ts), max(ts), count(*),
           coalesce(max(actor_name), actor) || ' made ' || count(*) || ' request(s) on ' || lt::date
               || ' outside business hours (' || vl_threshold('business_hours_start') || ':00-'
               || vl_threshold('business_hours_end') || ':00 ' || vl_threshold('business_timezone')
               || ', days ' || vl_threshold('business_days') || '), first at ' || strftime(min(lt), '%H:%M')
    from local_time
    where not (list_contains(list_transform(string_split(vl_threshold('business_days'), ','),
                                            lambda d: trim(d)::integer), isodow(lt))
               and hour(lt) >= vl_threshold('business_hours_start')::integer
               and hour(lt) < vl_threshold('business_hours_end')::integer)
    group by actor, lt::date
),
-- denied_requests -----------------------------------------------------------------------
denied_requests as (
    select 'denied_requests', case when count(*) >= 10 then 'high' else 'medium' end,
           actor, max(actor_name), resource, min(src_ip), min(ts), max(ts), count(*),
           coalesce(max(actor_name), actor) || ' was denied ' || count(*) || ' time(s) on ' || resource
               || ' on ' || vl_day(min(ts))
    from in_period
    where outcome = 'denied'
    group by actor, resource, vl_day(ts)
    having count(*) >= vl_threshold('denied_min')::integer
),
-- failed_auth_burst ---------------------------------------------------------------------
failed as (
    select actor, src_ip, ts from in_period where category = 'auth.login' and outcome <> 'ok'
),
in_burst as (  -- a failed login that ends a window holding enough of them, by address or by name
    select 'src_ip' as keyed_by, f.src_ip as key, f.ts, f.actor, f.src_ip
    from failed f join failed g on g.src_ip = f.src_ip
         and g.ts between f.ts - to_minutes(vl_threshold('failed_auth_window_minutes')::integer) and f.ts
    group by all having count(*) >= vl_threshold('failed_auth_count')::integer
    union all
    select 'actor', f.actor, f.ts, f.actor, f.src_ip
    from failed f join failed g on g.actor = f.actor
         and g.ts between f.ts - to_minutes(vl_threshold('failed_auth_window_minutes')::integer) and f.ts
    group by all having count(*) >= vl_threshold('failed_auth_count')::integer
),
window_members as (  -- every failed login inside such a window
    select distinct b.keyed_by, b.key, f.actor, f.src_ip, f.ts
    from in_burst b join failed f
      on (case when b.keyed_by = 'src_ip' then f.src_ip else f.actor end) = b.key
     and f.ts between b.ts - to_minutes(vl_threshold('failed_auth_window_minutes')::integer) and b.ts
),
bursts as (
    select keyed_by, key,
           case when count(distinct actor) = 1 then min(actor) end as actor,
           case when count(distinct src_ip) = 1 then min(src_ip) end as src_ip,
           min(ts) as first_seen, max(ts) as last_seen, count(*) as events
    from window_members group by keyed_by, key
),
failed_auth_burst as (
    select distinct 'failed_auth_burst', 'high', actor, null, null, src_ip, first_seen, last_seen, events,
           events || ' failed logins' || coalesce(' for ' || actor, '') || coalesce(' from ' || src_ip, '')
               || ' between ' || strftime(timezone('UTC', first_seen), '%Y-%m-%d %H:%M') || ' and '
               || strftime(timezone('UTC', last_seen), '%H:%M') || ' UTC'
    from bursts
),
-- long_ttl_token ------------------------------------------------------------------------
long_ttl_token as (
    select 'long_ttl_token', 'medium', actor, actor_name, resource, src_ip, ts, ts, 1,
           coalesce(actor_name, actor) || ' was issued a token with a TTL of ' || (token_ttl_s // 3600)
               || ' hours (limit ' || vl_threshold('token_max_ttl_hours') || ')'
    from in_period
    where category in ('auth.login', 'token.create') and outcome = 'ok'
      and token_ttl_s > vl_threshold('token_max_ttl_hours')::bigint * 3600
),
-- broad_access, multi_ip_actor -----------------------------------------------------------
per_actor as (
    select actor, max(actor_name) as actor_name, min(ts) as first_seen, max(ts) as last_seen,
           count(distinct resource) filter (where category = 'secret.read' and outcome = 'ok') as secrets_read,
           count(distinct src_ip) as addresses, count(*) as events
    from in_period where actor_type is distinct from 'claimed' group by actor
),
broad_access as (
    select 'broad_access', 'low', actor, actor_name, null, null, first_seen, last_seen, events,
           coalesce(actor_name, actor) || ' read ' || secrets_read || ' distinct secrets (limit '
               || vl_threshold('broad_access_secrets') || ')'
    from per_actor where secrets_read >= vl_threshold('broad_access_secrets')::integer
),
multi_ip_actor as (
    select 'multi_ip_actor', 'low', actor, actor_name, null, null, first_seen, last_seen, events,
           coalesce(actor_name, actor) || ' came from ' || addresses || ' addresses (limit '
               || vl_threshold('multi_ip_actor_ips') || ')'
    from per_actor where addresses >= vl_threshold('multi_ip_actor_ips')::integer
)
select * from new_source_ip
union all select * from volume_spike
union all select * from off_hours_human
union all select * from denied_requests
union all select * from failed_auth_burst
union all select * from long_ttl_token
union all select * from broad_access
union all select * from multi_ip_actor
