-- title: the rotation plan
-- about: one row per secret overdue, never rotated, or due within $horizon days of the period end
--   (rotation_status), with its owner and an urgency; `vaultlab rotation plan`.
select coalesce(owner, '(no owner)') as owner, secret_id, store, kind, last_rotated_at, rotation_days,
       due_at, days_overdue, status,
       case when status in ('overdue', 'never') then 'critical'
            when due_at - vl_as_of_date() <= 7 then 'high'
            when due_at - vl_as_of_date() <= 14 then 'medium'
            else 'low' end as urgency,
       case when status = 'never' then null else due_at - vl_as_of_date() end as days_left
from rotation_status
where status in ('overdue', 'never') or due_at <= vl_as_of_date() + $horizon::integer
order by owner, status <> 'never', due_at, secret_id
