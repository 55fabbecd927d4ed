-- Vault file audit device: one batch of numbered records -> one normalised row per record.
-- Input: the registered Arrow batch `batch(line, raw)`; parameters $max_line_bytes.
-- Output: the columns of event_store, plus line-level bookkeeping (reason, excerpt,
-- rec_hash, kind). A row with a non-null `reason` is quarantined, never loaded.
-- Values of request.data / response.data never leave this query: only their keys, the
-- HMACs among them, and a count of plain-text values (a log_raw=true device).
with decoded as (
    select line, raw, try(decode(raw)) as txt
    from batch
),
parsed as (
    select line, raw, txt,
        case when octet_length(raw) <= $max_line_bytes then try(json_transform(txt, '{
            "time": "VARCHAR", "type": "VARCHAR", "error": "VARCHAR",
            "auth": {"client_token": "VARCHAR", "accessor": "VARCHAR", "display_name": "VARCHAR",
                     "policies": ["VARCHAR"], "token_policies": ["VARCHAR"], "metadata": "JSON",
                     "entity_id": "VARCHAR", "token_type": "VARCHAR", "token_ttl": "BIGINT"},
            "request": {"id": "VARCHAR", "operation": "VARCHAR", "mount_point": "VARCHAR",
                        "mount_type": "VARCHAR", "client_token": "VARCHAR",
                        "client_token_accessor": "VARCHAR", "path": "VARCHAR",
                        "namespace": {"id": "VARCHAR", "path": "VARCHAR"},
                        "data": "JSON", "remote_address": "VARCHAR", "headers": "JSON"},
            "response": {"mount_point": "VARCHAR", "mount_type": "VARCHAR", "data": "JSON",
                         "auth": {"client_token": "VARCHAR", "accessor": "VARCHAR",
                                  "display_name": "VARCHAR", "policies": ["VARCHAR"],
                                  "token_policies": ["VARCHAR"], "metadata": "JSON",
                                  "entity_id": "VARCHAR", "token_type": "VARCHAR",
                                  "token_ttl": "BIGINT"}}}')) end as e
    from decoded
    -- blank (whitespace-only) lines are not records; most lines start with "{" and skip the trim
    where starts_with(txt, '{') or txt is null or trim(txt, chr(9) || chr(10) || chr(13) || ' ') <> ''
),
timed as (  -- the time, read once
    select *, vl_timestamp(e.time) as ts
    from parsed
),
checked as (
    select *,
        case
            when txt is null then 'invalid UTF-8'
            when octet_length(raw) > $max_line_bytes then 'line longer than the limit of ' || $max_line_bytes || ' bytes'
            when e is null then 'not valid JSON (truncated or malformed)'
            when e.type is null then
                case when json_type(txt) <> 'OBJECT' then 'not a JSON object' else 'no "type" field' end
            when e.type not in ('request', 'response', 'kmip-request', 'kmip-response')
                then 'unknown record type "' || left(e.type, 40) || '"'
            when vl_bad_offset(e.time) then 'impossible UTC offset in "time": ' || left(e.time, 40)
            when ts is null then 'no valid "time" field'
            when vl_implausible(ts) then '"time" ' || left(e.time, 40)
                 || ' is before 1990 or more than a day after the ingest'
        end as reason
    from timed
),
base as (
    select line, raw, txt, reason, ts,
        -- a bad line's first bytes: excerpts.redact_excerpt keeps its shape and field names, no value
        case when reason is not null then raw[1:4096] end as excerpt,
        e,
        case when e.type like '%request' then 'request' else 'response' end as kind,
        nullif(e.request.id, '') as request_id,
        e.request.path as path,
        lower(e.request.operation) as op,
        coalesce(nullif(e.request.mount_type, ''), nullif(e.response.mount_type, '')) as mount_type,
        coalesce(nullif(e.request.mount_point, ''), nullif(e.response.mount_point, '')) as mount_point,
        nullif(trim(e.request.namespace.path, '/'), '') as ns_path,
        nullif(coalesce(e.error, ''), '') as err
    from checked
),
shaped as (
    select *,
        path like 'auth/%' and (path like 'auth/%/login' or path like 'auth/%/login/%'
            or path like 'auth/%/oidc/callback' or path like 'auth/%/jwt/callback') as is_login,
        coalesce(mount_point,
                 case when path like 'auth/%' then 'auth/' || split_part(path, '/', 2) || '/'
                      else split_part(path, '/', 1) || '/' end) as mount
    from base
),
kv as (
    select *,
        -- the part of the path below its mount, and the KV v2 operation segment in it
        case when starts_with(path, mount) then substr(path, length(mount) + 1) end as rel,
        (mount_type is null or mount_type in ('kv', 'generic'))
            and not regexp_matches(path, '^(sys|auth|identity|cubbyhole)/') as maybe_kv
    from shaped
),
kv2 as (
    select *,
        case when maybe_kv then regexp_extract(rel, '^(data|metadata|delete|destroy|undelete|subkeys)/', 1) end as kv_op,
        case when is_login and e.response.auth is not null then e.response.auth else e.auth end as ident
    from kv
),
who as (
    select *,
        nullif(ident.display_name, '') as display_name,
        -- every AppRole token is named "approle"; its role name tells the services apart
        case when ident.display_name = 'approle'
             then 'approle-' || json_extract_string(ident.metadata, '$.role_name') end as role_display_name,
        nullif(ident.entity_id, '') as entity,
        case when is_login then regexp_extract(path, '^auth/[^/]+/login/([^/]+)$', 1) end as login_name,
        case
            when is_login then coalesce(nullif(mount_type, ''), split_part(path, '/', 2))
            when ident.display_name = 'root' then 'token'
            else regexp_extract(ident.display_name, '^([A-Za-z0-9_]+)(-|$)', 1)
        end as method_guess,
        coalesce(ident.policies, ident.token_policies) as pols
    from kv2
),
method as (
    select *,
        case when method_guess in ('oidc', 'jwt', 'userpass', 'ldap', 'github', 'okta', 'radius',
                                   'saml', 'approle', 'kubernetes', 'aws', 'gcp', 'azure', 'cert',
                                   'token', 'kerberos', 'alicloud', 'oci', 'cf')
             then method_guess
             when display_name is not null or login_name <> '' then 'unknown' end as auth_method
    from who
),
data as (
    select *, coalesce(e.request.data::varchar, '') || coalesce(e.response.data::varchar, '') as data_text
    from method
),
leaves as (
    select *,
        -- string_split is the cheapest scan DuckDB offers: each piece after the first
        -- starts with the 64 hex digits of one HMAC
        case when e.type like 'kmip%' then []  -- KMIP payloads are not HMAC'd by design
             else list_transform(string_split(data_text, '"hmac-sha256:')[2:],
                                 lambda x: 'hmac-sha256:' || left(x, 64)) end as hmacs,
        case when e.type like 'kmip%' then 0
             -- a string value (after ':' or '[') that is not an HMAC: count them exactly;
             -- RFC 3339 times are not hashed by OpenBao, so they do not count
             when len(string_split(data_text, ':"')) + len(string_split(data_text, '["'))
                  > len(string_split(data_text, ':"hmac-sha256:')) + len(string_split(data_text, '["hmac-sha256:'))
             then len(list_filter(
                    list_concat(coalesce(json_extract(e.request.data, '$..*'), []),
                                coalesce(json_extract(e.response.data, '$..*'), [])),
                    lambda x: json_type(x) = 'VARCHAR' and not starts_with(x, '"hmac-sha256:')
                              and not regexp_matches(x, '^"\d{4}-\d\d-\d\dT')))
             else 0 end as plain_values
    from data
),
tokens as (  -- token fields keep HMACs only: a log_raw device writes live tokens there
    select *,
        case when starts_with(e.auth.accessor, 'hmac-sha256:') then e.auth.accessor end as auth_accessor,
        case when starts_with(e.auth.client_token, 'hmac-sha256:') then e.auth.client_token end as auth_token,
        case when starts_with(e.request.client_token_accessor, 'hmac-sha256:')
             then e.request.client_token_accessor end as request_accessor,
        case when starts_with(e.request.client_token, 'hmac-sha256:') then e.request.client_token end as request_token,
        case when starts_with(e.response.auth.accessor, 'hmac-sha256:') then e.response.auth.accessor end as issued_accessor,
        -- plain tokens mean log_raw=true; plain accessors alone mean hmac_accessor=false
        len(list_filter([e.auth.client_token, e.request.client_token, e.response.auth.client_token],
                        lambda t: t <> '' and not starts_with(t, 'hmac-sha256:'))) as plain_tokens,
        len(list_filter([e.auth.accessor, e.request.client_token_accessor, e.response.auth.accessor],
                        lambda t: t <> '' and not starts_with(t, 'hmac-sha256:'))) as plain_accessors
    from leaves
),
hashed as (
    -- the record's identity, the same however it was laid out (key order, blanks, escapes): the
    -- fields the parse extracted; its data counts by its HMACs, field names and canonical length
    -- (a record's data never differs alone: same request id, type and time make the same record)
    select *, case when reason is null then vl_record_hash((e.time, e.type, e.error, e.request.id, e.request.operation,
        e.request.path, e.request.mount_point, e.request.client_token, e.request.client_token_accessor,
        e.request.remote_address, e.request.namespace, e.auth.client_token, e.auth.accessor, e.auth.display_name,
        e.auth.entity_id, e.auth.policies, e.response.mount_point, e.response.auth.client_token,
        e.response.auth.accessor, list_sort(hmacs), list_sort(json_keys(e.request.data)),
        list_sort(json_keys(e.response.data)), length(e.request.data), length(e.response.data),
        vl_canonical_json(e.request.headers), vl_canonical_json(e.auth.metadata),
        vl_canonical_json(e.response.auth.metadata))) end as rec_hash
    from tokens
)
select
    line, reason, excerpt, rec_hash, kind,
    case when reason is null then coalesce(request_id, lpad(lower(hex(rec_hash)), 32, '0')) end as event_id,
    'vault' as source,
    ts,
    -- a name in an unauthenticated login's path is a claim, not an identity: anyone can send
    -- it, so it is kept apart ("claimed:NAME", actor_type claimed) and never names an entity
    coalesce(entity, display_name, case when login_name <> '' then 'claimed:' || login_name end,
             auth_accessor, request_accessor, auth_token, request_token) as actor,
    coalesce(role_display_name, display_name, nullif(login_name, '')) as actor_name,
    case when is_login and entity is null and display_name is null then 'claimed'
         when list_contains(pols, 'root') or display_name = 'root' then 'root'
         when auth_method in ('oidc', 'userpass', 'ldap', 'github', 'okta', 'radius', 'saml') then 'human'
         when auth_method in ('approle', 'kubernetes', 'aws', 'gcp', 'azure', 'jwt', 'cert') then 'service'
         else 'unknown' end as actor_type,
    auth_method,
    case when is_login then issued_accessor
         else coalesce(auth_accessor, request_accessor, auth_token, request_token) end as token_id,
    case when is_login or path like 'auth/token/create%' then e.response.auth.token_ttl end as token_ttl_s,
    pols as policies,
    coalesce(op, e.type) as action,
    case
        when e.type like 'kmip%' or op = 'help' then 'other'
        when path like 'auth/token/create%' then 'token.create'
        when path like 'auth/token/revoke%' then 'token.revoke'
        when path like 'auth/token/%' then 'token.other'
        when is_login then 'auth.login'
        when regexp_matches(path, '^sys/(policy|policies/[a-z]+)/.') then
            case when op in ('create', 'update', 'delete', 'patch') then 'policy.change' else 'sys.other' end
        when path like 'sys/audit/%' and op in ('create', 'update', 'delete') then 'audit.change'
        when regexp_matches(path, '^(sys|auth|identity)/') then 'sys.other'
        when kv_op in ('delete', 'destroy') then 'secret.delete'
        when kv_op = 'undelete' then 'secret.write'
        when kv_op in ('metadata', 'subkeys') and op in ('read', 'list') then 'secret.list'
        when kv_op = 'metadata' and op = 'delete' then 'secret.delete'
        when op = 'read' then 'secret.read'
        when op = 'list' then 'secret.list'
        when op in ('create', 'update', 'patch') then 'secret.write'
        when op = 'delete' then 'secret.delete'
        else 'other'
    end as category,
    case when ns_path is not null then ns_path || '/' else '' end ||
        case when kv_op <> '' then mount || substr(rel, length(kv_op) + 2) else path end as resource,
    mount,
    case when e.request.remote_address like '[%' then regexp_extract(e.request.remote_address, '^\[([^\]]*)\]', 1)
         when regexp_matches(e.request.remote_address, '^[0-9.]+:[0-9]+$') then split_part(e.request.remote_address, ':', 1)
         else nullif(e.request.remote_address, '') end as src_ip,
    -- an audited header is HMAC'd unless the device lists it as plain: an HMAC is no user agent
    nullif(list_filter([json_extract_string(e.request.headers, '$."user-agent"[0]'),
                        json_extract_string(e.request.headers, '$."User-Agent"[0]')],
                       lambda h: not starts_with(h, 'hmac-sha256:'))[1], '') as user_agent,
    case when err is null then 'ok' when err ilike '%permission denied%' then 'denied' else 'error' end as outcome,
    err as error,
    path,
    coalesce(ns_path, nullif(e.request.namespace.id, '')) as namespace,
    request_id,
    entity as entity_id,
    nullif(ident.token_type, '') as token_type,
    coalesce(auth_token, request_token) as client_token,
    case when is_login or path like 'auth/token/create%' then issued_accessor end as issued_token_id,
    e.auth.token_ttl as auth_token_ttl_s,
    ident.metadata as auth_metadata,
    case when json_type(e.request.data) = 'OBJECT' then json_keys(e.request.data) end as request_keys,
    case when json_type(e.response.data) = 'OBJECT' then
        list_concat(json_keys(e.response.data),
                    case when json_type(e.response.data, '$.data') = 'OBJECT'
                         then list_transform(json_keys(e.response.data, '$.data'), lambda k: 'data.' || k) end)
    end as response_keys,
    hmacs as data_hmacs,
    plain_values + plain_tokens as raw_values,
    plain_accessors
from hashed
