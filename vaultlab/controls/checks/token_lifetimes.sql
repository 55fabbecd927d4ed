-- title: Live tokens expire within the allowed lifetime
-- thresholds: token_max_ttl_hours
-- evidence: live_vault
-- about: the tokens alive in Vault (latest `inventory collect vault` at or before the
--   period end, by lookup-accessor) expire, and within token_max_ttl_hours. A root or orphan token
--   that never expires is an alarm. Without a live collection the check is not_evaluated.
with latest as (
    select * from vl_latest_collections('vault')
),
tokens as (
    select l.source, f.name, f.data,
           coalesce(json_extract_string(f.data, '$.display_name'), f.name) as display_name,
           try_cast(json_extract_string(f.data, '$.creation_ttl') as bigint) as creation_ttl,
           nullif(json_extract_string(f.data, '$.expire_time'), '') as expire_time
    from latest l join collected_facts f using (run_id)
    where f.kind = 'tokens'
)
select source || ' token ' || display_name || ' (' || name || ')' as resource, 'alarm' as status,
       case when expire_time is null or creation_ttl = 0
            then display_name || ' never expires (policies: '
                 || coalesce(array_to_string(json_extract_string(data, '$.policies[*]'), ', '), '') || ').'
            else display_name || ' lives ' || round(creation_ttl / 3600.0, 1) || ' hours (limit '
                 || vl_threshold('token_max_ttl_hours') || ').' end as reason
from tokens
where expire_time is null or creation_ttl = 0 or creation_ttl > vl_threshold('token_max_ttl_hours')::double * 3600
union all
select source, 'ok', 'Every token collected from ' || source || ' expires within '
           || vl_threshold('token_max_ttl_hours') || ' hours.'
from latest l
where exists (select 1 from tokens t where t.source = l.source)
  and not exists (select 1 from tokens t where t.source = l.source and (t.expire_time is null or t.creation_ttl = 0
                  or t.creation_ttl > vl_threshold('token_max_ttl_hours')::double * 3600))
union all
select null, 'not_evaluated', 'No live Vault collection: run `vaultlab inventory collect vault` to look up its tokens.'
where not exists (select 1 from tokens)
union all
select * from vl_snapshot_evidence('live Vault collection')
