-- policy_findings: one row per risky rule in the current ACL policies.
-- Inputs: policy_snapshots, policy_rules. Parameters: the period end (the current set is the
-- latest snapshot taken before it).
-- Findings: wildcard_path (path "*" or a whole mount such as "secret/*"), sudo, sys_write
-- (create/update/delete/sudo under sys/), admin_without_deny (a policy granting write on "*"
-- or "sys/*" that holds no deny rule at all).
with cur as (
    select snapshot_id from vl_policy_snapshots('latest') where store = 'vault'
),
rules as (
    select policy, path, capabilities,
           list_has_any(capabilities, ['create', 'update', 'delete', 'sudo', 'patch']) as writes,
           not list_contains(capabilities, 'deny') as grants
    from policy_rules where snapshot_id = (select snapshot_id from cur)
),
denies as (
    select policy, bool_or(list_contains(capabilities, 'deny')) as has_deny from rules group by policy
)
select policy, path, capabilities, 'wildcard_path' as finding,
       'path "' || path || '" grants ' || array_to_string(capabilities, ', ') || ' on everything below it' as reason
from rules where grants and (path in ('*', '+/*') or regexp_matches(path, '^[^/*+]+/\*$'))
union all
select policy, path, capabilities, 'sudo', 'path "' || path || '" grants sudo (root-protected endpoints)'
from rules where list_contains(capabilities, 'sudo')
union all
select policy, path, capabilities, 'sys_write',
       'path "' || path || '" grants ' || array_to_string(capabilities, ', ') || ' under sys/'
from rules where writes and path like 'sys/%'
union all
select r.policy, r.path, r.capabilities, 'admin_without_deny',
       'policy ' || r.policy || ' grants write on "' || r.path || '" and denies nothing'
from rules r join denies d using (policy)
where r.writes and r.path in ('*', 'sys/*') and not d.has_deny
