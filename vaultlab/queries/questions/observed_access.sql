-- observed_access: one row per request path x operation x outcome of one actor's Vault requests
-- in the period, with the ACL capability that the operation needs.
-- Inputs: events (source vault). Parameters: $actor (matched against actor or actor_name) and
-- the period (vl_period_start/vl_period_end). Used by `vaultlab policies suggest`; not a view.
-- policy_path: the path as a root-namespace policy names it (a child namespace's path prefixed).
-- mount_root: the mount (its data/, metadata/... segment too for KV v2, where resource differs
-- from path), below which a glob would cover the whole mount.
-- capability: revoke, renew and rollback need update, as Vault's ACL checks them; null for
-- operations that need none (help, alias-lookahead, ...). Logins carry login = true: login
-- endpoints need no policy, but they show which policies the actor's tokens hold.
with matched as (
    select *,
        case when namespace is null or namespace = 'root' then '' else rtrim(namespace, '/') || '/' end as ns,
        case when starts_with(path, mount) then substr(path, length(mount) + 1) end as rel
    from events
    where source = 'vault'
      and ts >= vl_period_start() and ts < vl_period_end()
      and (actor = $actor or actor_name = $actor)
      and path is not null
),
shaped as (
    select *,
        coalesce(regexp_extract(rel, '^(data|metadata|delete|destroy|undelete|subkeys)/', 1), '') as kv_op
    from matched
)
select
    ns || path as policy_path,
    action as operation,
    case action
        when 'read' then 'read' when 'list' then 'list' when 'create' then 'create'
        when 'update' then 'update' when 'patch' then 'patch' when 'delete' then 'delete'
        when 'recover' then 'recover'
        when 'revoke' then 'update' when 'renew' then 'update' when 'rollback' then 'update'
    end as capability,
    outcome,
    category = 'auth.login' as login,
    ns || case when rel is null then split_part(path, '/', 1)
               when kv_op <> '' and not ends_with(resource, path) then mount || kv_op
               else rtrim(mount, '/') end as mount_root,
    min(resource) as resource,
    count(*) as events,
    min(ts) as first_seen,
    max(ts) as last_seen,
    list_sort(list_distinct(flatten(list(coalesce(policies, []))))) as policies,
    list_sort(list_distinct(list(actor))) as actors
from shaped
group by all
order by policy_path, operation, outcome
