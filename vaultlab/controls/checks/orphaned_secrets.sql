-- title: Unused secrets are removed
-- thresholds: orphan_days
-- evidence: orphaned_secrets
-- about: every inventoried secret has been read within orphan_days (else remove it).
select s.secret_id as resource,
       case when o.secret_id is null then 'ok' else 'alarm' end as status,
       case when o.secret_id is null then s.secret_id || ' was read within the last '
                || vl_threshold('orphan_days') || ' days.'
            else s.secret_id || ' is unused: ' || o.reason || ' (limit ' || vl_threshold('orphan_days')
                || ' days); remove it or record why it is kept.' end as reason
from secrets s left join orphaned_secrets o using (secret_id)
union all
select null, 'not_evaluated', 'No inventory is loaded: run `vaultlab inventory load` to evidence unused secrets.'
where not exists (select 1 from secrets)
union all
select * from vl_snapshot_evidence('inventory')
union all
select * from vl_log_evidence()
