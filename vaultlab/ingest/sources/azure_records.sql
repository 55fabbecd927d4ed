-- Azure Key Vault diagnostic logs (category AuditEvent): one batch of numbered records -> one
-- normalised row per record.
-- Input: the Arrow batch `batch(line, raw)` (a JSON line, or one element of a {"records": [...]}
-- blob, which may end in the list's `,`); parameters $max_line_bytes.
-- Objects are keyed by their URI without the version (https://VAULT/secrets/NAME, the host
-- lower-cased; a deleted object's /deletedsecrets/ URI names the same secret); a call on no
-- object is keyed by the vault's URI, else by the vault's ARM resource id (lower-cased).
-- The caller's claims come in two spellings: claim URIs in older logs, short names in newer.
with decoded as (
    select line, raw, try(decode(raw)) as txt
    from batch
),
parsed as (
    select line, raw, txt,
        case when octet_length(raw) <= $max_line_bytes then try(json_transform(txt, '{
            "time": "VARCHAR", "resourceId": "VARCHAR", "operationName": "VARCHAR", "category": "VARCHAR",
            "resultType": "VARCHAR", "resultSignature": "VARCHAR", "resultDescription": "VARCHAR",
            "callerIpAddress": "VARCHAR", "location": "VARCHAR", "identity": {"claim": "JSON"},
            "properties": {"id": "VARCHAR", "clientInfo": "VARCHAR", "requestUri": "VARCHAR",
                           "httpStatusCode": "VARCHAR"}}')) end as e
    from decoded
    where txt is null or starts_with(txt, '{') or trim(txt, chr(9) || chr(10) || chr(13) || ' ') <> ''
),
checked as (
    select *,
        case
            when txt is null then 'invalid UTF-8'
            when octet_length(raw) > $max_line_bytes then 'record longer than the limit of ' || $max_line_bytes || ' bytes'
            when not json_valid(txt) then 'not valid JSON (truncated or malformed)'
            when json_type(txt) <> 'OBJECT' then 'not a JSON object'
            when e is null then 'not valid JSON (truncated or malformed)'
            when e.time is null then 'no "time" field'
            when vl_bad_offset(e.time) then 'impossible UTC offset in "time": ' || left(e.time, 40)
            when vl_timestamp(e.time) is null then 'no valid "time" field'
            when vl_implausible(vl_timestamp(e.time)) then '"time" ' || left(e.time, 40)
                 || ' is before 1990 or more than a day after the ingest'
        end as reason
    from parsed
),
claims as (
    select line, raw, txt, reason, e,
        e.operationName as op,
        -- the claims read, in one parse of the claim object (a json_extract_string per claim cost
        -- ~8% of this query); both spellings, short names and claim URIs
        try(json_transform(e.identity.claim, '{"upn": "VARCHAR", "unique_name": "VARCHAR", "oid": "VARCHAR",
            "appid": "VARCHAR", "name": "VARCHAR", "idtyp": "VARCHAR", "xms_mirid": "VARCHAR",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "VARCHAR",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": "VARCHAR",
            "http://schemas.microsoft.com/identity/claims/objectidentifier": "VARCHAR",
            "http://schemas.microsoft.com/identity/claims/appid": "VARCHAR"}')) as k,
        coalesce(nullif(e.properties.id, ''), nullif(e.properties.requestUri, '')) as uri
    from checked
),
identity as (
    select *,
        nullif(coalesce(k.upn, k."http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"), '') as upn,
        nullif(coalesce(k.unique_name, k."http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"), '')
            as unique_name,
        nullif(coalesce(k.oid, k."http://schemas.microsoft.com/identity/claims/objectidentifier"), '') as oid,
        nullif(coalesce(k.appid, k."http://schemas.microsoft.com/identity/claims/appid"), '') as appid,
        nullif(k.name, '') as display_name,
        lower(k.idtyp) as token_type,
        nullif(k.xms_mirid, '') as managed_identity,
        -- https://HOST[:443]/(secrets|keys|certificates|deleted…)/NAME[/VERSION][?api-version=…]
        regexp_extract(uri, '^https://([^/?#:]+)(?::[0-9]+)?/'
                            || '((?:deleted)?(?:secrets|keys|certificates))/([^/?#]+)',
                       ['host', 'kind', 'name']) as object,
        -- a vault's data-plane URI; management calls go to an ARM-style /subscriptions/… path
        case when not regexp_matches(uri, '^https://[^/]+/subscriptions/', 'i')
             then lower(regexp_extract(uri, '^https://([^/?#:]+)', 1)) end as vault_host,
        try_cast(e.properties.httpStatusCode as integer) as code,
        lower(e.resultSignature) as signature
    from claims
),
classified as (
    select *,
        case
            when op = 'SecretGet' then 'secret.read'
            -- a backup or a release hands out the material itself (a backup wrapped for restore)
            when op in ('SecretBackup', 'KeyBackup', 'CertificateBackup', 'KeyRelease') then 'secret.read'
            when op in ('SecretSet', 'KeyCreate', 'KeyImport', 'CertificateCreate', 'CertificateImport',
                        'CertificatePendingMerge') then 'secret.write'
            -- a restore or a recovery brings back an old value: not a new one, so not a rotation
            when op in ('SecretRestore', 'SecretRecover', 'KeyRestore', 'KeyRecover', 'CertificateRestore',
                        'CertificateRecover', 'VaultRecover') then 'secret.config'
            when op in ('KeyRotate', 'KeyRotateIfDue') then 'secret.rotate'
            when op in ('SecretUpdate', 'KeyUpdate', 'CertificateUpdate', 'CertificatePolicyUpdate',
                        'CertificatePolicySet', 'CertificateContactsSet', 'CertificateContactsDelete',
                        'CertificateIssuerSet', 'CertificateIssuerUpdate', 'CertificateIssuerDelete',
                        'CertificatePendingUpdate', 'KeyUpdateRotationPolicy', 'KeySetRotationPolicy')
                then 'secret.config'
            when op in ('SecretDelete', 'SecretPurge', 'KeyDelete', 'KeyPurge', 'CertificateDelete',
                        'CertificatePurge', 'CertificatePendingDelete', 'VaultDelete', 'VaultPurge')
                then 'secret.delete'
            when op in ('KeyDecrypt', 'KeyEncrypt', 'KeySign', 'KeyVerify', 'KeyWrap', 'KeyUnwrap') then 'key.use'
            when op in ('VaultPut', 'VaultPatch') or starts_with(op, 'VaultAccessPolicy') then 'policy.change'
            when op = 'Authentication' then 'auth.login'
            -- every other read of metadata: SecretList, KeyGet, CertificateList, VaultGet, …
            when regexp_matches(op, '^(Secret|Key|Certificate|Vault)[A-Za-z]*(Get|List)') then 'secret.list'
            else 'other'
        end as category,
        case
            when code between 200 and 299 then 'ok'
            when code in (401, 403) then 'denied'
            when code is not null then 'error'
            when signature in ('forbidden', 'unauthorized', '401', '403') then 'denied'
            when signature in ('ok', 'created', 'accepted', 'nocontent', 'no content')
                 or try_cast(signature as integer) between 200 and 299 then 'ok'
            when signature is null and coalesce(e.resultType ilike 'success', true) then 'ok'
            else 'error'
        end as outcome,
        case
            -- an app-only token (idtyp "app") has no user claims, but check rather than assume
            when upn is not null or (unique_name is not null and token_type is distinct from 'app') then 'human'
            when appid is not null then 'service'
            else 'unknown'
        end as actor_type
    from identity
),
-- the record's identity, computed once: rec_hash and event_id each computing it cost a second
-- extraction and canonical form of `properties` (~25% of this query's CPU)
hashed as (
    select *,
        case when reason is null then vl_record_hash((e.time, e.resourceId, e.operationName, e.category, e.resultType, e.resultSignature,
            e.resultDescription, e.callerIpAddress, e.location, vl_canonical_json(e.identity.claim),
            vl_canonical_json(json_extract(txt, '$.properties')))) end as rec_hash
    from classified
)
select
    line, reason,
    -- a bad record's first bytes: excerpts.redact_excerpt keeps its shape and field names, no value
    case when reason is not null then raw[1:4096] end as excerpt,
    rec_hash,
    'request' as kind, 0 as part,
    -- AuditEvent records carry no unique id: the record's own canonical JSON stands for one
    case when reason is null then lpad(lower(hex(rec_hash)), 32, '0') end as event_id,
    'azure' as source,
    vl_timestamp(e.time) as ts,
    coalesce(upn, case when actor_type = 'human' then unique_name end, oid, appid) as actor,
    coalesce(display_name, upn, unique_name, appid, oid) as actor_name,
    actor_type,
    case
        when actor_type = 'human' then 'entra-id'
        when managed_identity is not null then 'managed-identity'
        when actor_type = 'service' then 'service-principal'
    end as auth_method,
    op as action,
    category,
    case
        when object.name <> '' and not (object.kind = 'certificates' and object.name in ('contacts', 'issuers'))
            then 'https://' || lower(object.host) || '/' || replace(object.kind, 'deleted', '') || '/' || object.name
        when vault_host <> '' then 'https://' || vault_host
        else lower(nullif(e.resourceId, ''))
    end as resource,
    coalesce('https://' || nullif(vault_host, ''), lower(nullif(e.resourceId, ''))) as mount,
    case when regexp_matches(e.callerIpAddress, '^[0-9.]+$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$') then e.callerIpAddress end
        as src_ip,
    case when not regexp_matches(e.callerIpAddress, '^[0-9.]+$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$')
         then nullif(e.callerIpAddress, '') end as source_host,
    e.properties.clientInfo as user_agent,
    outcome,
    case when outcome <> 'ok' then nullif(concat_ws(': ', coalesce(e.resultSignature, code::varchar),
                                                    nullif(e.resultDescription, '')), '') end as error,
    split_part(uri, '?', 1) as path,
    lower(nullif(regexp_extract(e.resourceId, '/subscriptions/([^/]+)', 1, 'i'), '')) as account,
    nullif(e.location, '') as region
from hashed
