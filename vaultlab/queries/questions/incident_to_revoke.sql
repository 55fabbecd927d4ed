-- title: identities and tokens to revoke
-- about: one row per actor and token that read the suspect secret (or used the token) successfully
--   in the window; reads `incident_access`.
select actor, max(actor_name) as actor_name, max(actor_type) as actor_type, token_id,
       count(*) as reads, min(ts) as first_read, max(ts) as last_read,
       list_sort(list_distinct(list(src_ip))) as src_ips
from incident_access
where category = 'secret.read' and outcome = 'ok'
group by actor, token_id
order by reads desc, actor, token_id
