-- title: Secrets are rotated within their interval
-- thresholds: rotation_days_database, rotation_days_password, rotation_days_api_key, rotation_days_ssh_key, rotation_days_encryption_key, rotation_days_oauth_secret, rotation_days_service_token, rotation_days_other, tls_renew_before_days, due_soon_days
-- evidence: rotation_status
-- about: every inventoried secret is rotated within its interval (rotation_status).
--   alarm: overdue, or never rotated; info: due soon (beside its ok); ok: within its interval;
--   incomplete: rotated only after the period end by an inventory taken later, so its state at
--   the period end is unknown, or an inventory taken more than snapshot_grace_days after it.
select secret_id as resource,
       case status when 'overdue' then 'alarm' when 'never' then 'alarm' when 'unknown' then 'incomplete'
                   else 'ok' end as status,
       case status
           when 'overdue' then secret_id || ' was last rotated ' || strftime(last_rotated_at, '%Y-%m-%d')
               || '; its kind (' || kind || ') allows ' || rotation_days || ' days, so it is ' || days_overdue
               || ' day(s) overdue.'
           when 'never' then secret_id || ' has no known rotation: neither the inventory nor the audit log shows one.'
           when 'due_soon' then secret_id || ' was rotated ' || strftime(last_rotated_at, '%Y-%m-%d')
               || ', within its ' || rotation_days || ' days; it is due for rotation on ' || due_at || '.'
           when 'unknown' then secret_id || ' was rotated ' || strftime(rotated_after_end_at, '%Y-%m-%d')
               || ', after the period end; the inventory taken then does not show the rotation before it, '
               || 'so its state at the period end is unknown.'
           else secret_id || ' was rotated ' || strftime(last_rotated_at, '%Y-%m-%d') || ', within its '
               || rotation_days || ' days.'
       end as reason
from rotation_status
union all
select null, 'not_evaluated', 'No inventory is loaded: run `vaultlab inventory load` to evidence rotation.'
where not exists (select 1 from secrets)
union all
select * from vl_snapshot_evidence('inventory')
