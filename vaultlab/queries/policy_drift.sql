-- policy_drift: one row per ACL policy that differs from the approved baseline.
-- Inputs: policy_snapshots, policy_texts (from `vaultlab policies load [--baseline]`).
-- Parameters: the period end: per store (vault, aws), the current set is the latest snapshot
-- taken before it, the baseline the latest baseline snapshot taken before it.
-- `diff` lists the lines only in the baseline (-) and only in the current text (+).
-- per store (Vault ACL policies, AWS resource policies): its latest baseline and latest set
with base as (
    select store, snapshot_id from vl_policy_snapshots('baseline')
),
cur as (
    select store, snapshot_id from vl_policy_snapshots('latest')
),
b as (select store, policy, sha256, text from policy_texts join base using (snapshot_id)),
c as (select store, policy, sha256, text from policy_texts join cur using (snapshot_id)),
changed as (
    select coalesce(c.store, b.store) as store, coalesce(c.policy, b.policy) as policy,
           case when b.policy is null then 'added' when c.policy is null then 'removed' else 'modified' end as change,
           b.sha256 as baseline_sha256, c.sha256 as current_sha256,
           coalesce(b.text, '') as old_text, coalesce(c.text, '') as new_text
    from b full outer join c using (store, policy)
    where coalesce(c.store, b.store) in (select store from base)
      and b.sha256 is distinct from c.sha256
)
select policy, store, change, baseline_sha256, current_sha256,
       array_to_string(
           list_transform(list_filter(string_split(old_text, chr(10)),
                                      lambda l: trim(l) <> '' and not list_contains(string_split(new_text, chr(10)), l)),
                          lambda l: '- ' || l)
           || list_transform(list_filter(string_split(new_text, chr(10)),
                                         lambda l: trim(l) <> '' and not list_contains(string_split(old_text, chr(10)), l)),
                             lambda l: '+ ' || l),
           chr(10)) as diff
from changed
