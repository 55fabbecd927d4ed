-- incident_access: one row per event that touched a suspect secret (a path or a path prefix) or
-- used a suspect token, inside an exposure window.
-- Parameters: $secret (canonical key or prefix; '' for none), $token (an HMAC'd token accessor
-- or token; '' for none), and the window as the period (vl_period_start/vl_period_end).
select ts, actor, actor_name, actor_type, auth_method, token_id, src_ip, user_agent, category, action,
       resource, outcome, error, file_id, line
from events
where ts >= vl_period_start() and ts < vl_period_end()
  and (($secret <> '' and (resource = $secret or starts_with(resource, rtrim($secret, '/') || '/')))
       or ($token <> '' and (token_id = $token or client_token = $token or issued_token_id = $token
                             or list_contains(data_hmacs, $token))))
order by ts, file_id, line
