-- title: Vault audits everything, twice, HMAC'd
-- thresholds: none
-- evidence: live_vault, collect_gaps
-- about: the live Vault (latest `inventory collect vault` at or before the period
--   end) audits everything, twice, HMAC'd: no device, a single device, log_raw=true, a device
--   writing to `discard`, hmac_accessor=false, fields a mount logs unhashed, and parts of Vault the
--   collector could not read are each an alarm. Without a live collection the check is not_evaluated.
with latest as (
    select * from vl_latest_collections('vault')
),
devices as (
    select l.source, f.name, f.data from latest l join collected_facts f using (run_id)
    where f.kind = 'audit_devices'
),
mounts as (
    select l.source, f.name,
           list_concat(coalesce(json_extract_string(f.data, '$.audit_non_hmac_request_keys[*]'), []),
                       coalesce(json_extract_string(f.data, '$.audit_non_hmac_response_keys[*]'), [])) as clear_keys
    from latest l join collected_facts f using (run_id)
    where f.kind = 'mounts'
),
findings as (
    select l.source || ' audit devices' as resource,
           'No audit device is enabled on ' || l.source || ': nothing Vault does is logged.' as reason
    from latest l where not exists (select 1 from devices d where d.source = l.source)
    union all
    select source || ' audit devices', 'Only one audit device (' || min(name) || ') on ' || source
           || ': if it fails Vault stops serving requests, and there is no second record; enable another.'
    from devices group by source having count(*) = 1
    union all
    select source || ' ' || name, name || ' writes raw values (log_raw=true): secrets and tokens are in clear in its log.'
    from devices where json_extract_string(data, '$.log_raw') in ('true', '1')
    union all
    select source || ' ' || name, name || ' writes to discard: it audits nothing.'
    from devices where json_extract_string(data, '$.file_path') = 'discard'
    union all
    select source || ' ' || name, name || ' logs token accessors in clear (hmac_accessor=false).'
    from devices where json_extract_string(data, '$.hmac_accessor') in ('false', '0')
    union all
    select source || ' ' || name, 'Mount ' || name || ' logs these fields unhashed: '
           || array_to_string(list_sort(clear_keys), ', ') || '.'
    from mounts where len(clear_keys) > 0
    union all
    select l.source || ' ' || g.path, 'The collector could not read ' || g.path || ' (' || g.reason
           || '): its secrets are missing from the inventory.'
    from latest l join collect_gaps g using (run_id)
)
select resource, 'alarm' as status, reason from findings
union all
select source, 'ok', source || ': ' || (select count(*) from devices d where d.source = l.source)
           || ' audit devices, all HMAC''d, and every path readable (collected '
           || strftime(timezone('UTC', taken_at), '%Y-%m-%d %H:%M') || ' UTC).'
from latest l where not exists (select 1 from findings f where starts_with(f.resource, l.source || ' '))
union all
select null, 'not_evaluated', 'No live Vault collection: run `vaultlab inventory collect vault` to check its audit devices.'
where not exists (select 1 from latest)
union all
select * from vl_snapshot_evidence('live Vault collection')
