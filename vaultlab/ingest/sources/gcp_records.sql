-- GCP Cloud Audit Logs: one batch of numbered LogEntry records -> one normalised row per record.
-- Input: the Arrow batch `batch(line, raw)` (a JSON line, one pretty-printed entry, or one
-- element of a list document and the blanks after it); parameters $max_line_bytes.
-- The AuditLog payload is `protoPayload` in the Logging API and in exported files, and
-- `protopayload_auditlog` in rows exported from a BigQuery log sink (same field names inside,
-- but `requestJson`/`metadataJson` strings and `servicedata_v1_iam` in place of the objects).
-- Secrets are keyed projects/P/secrets/S (regional: projects/P/locations/L/secrets/S), the
-- version dropped; any other resource keeps its resourceName.
with decoded as (
    select line, raw, try(decode(raw)) as txt
    from batch
),
parsed as (
    select line, raw, txt,
        case when octet_length(raw) <= $max_line_bytes then try(json_transform(txt, '{
            "insertId": "VARCHAR", "logName": "VARCHAR", "timestamp": "VARCHAR",
            "resource": {"labels": {"project_id": "VARCHAR"}}, "protoPayload": {"@type": "VARCHAR"}}')) end as e,
        case when octet_length(raw) <= $max_line_bytes then try(coalesce(
            json_extract(txt, '$.protoPayload'), json_extract(txt, '$.protopayload_auditlog'))) end as payload
    from decoded
    where txt is null or starts_with(txt, '{') or trim(txt, chr(9) || chr(10) || chr(13) || ' ') <> ''
),
checked as (
    select *,
        case when e is not null and json_type(payload) = 'OBJECT' then try(json_transform(payload,
            '{"serviceName": "VARCHAR", "methodName": "VARCHAR", "resourceName": "VARCHAR",
              "resourceLocation": {"currentLocations": ["VARCHAR"]},
              "status": {"code": "VARCHAR", "message": "VARCHAR"},
              "authenticationInfo": {"principalEmail": "VARCHAR", "principalSubject": "VARCHAR",
                                     "serviceAccountKeyName": "VARCHAR"},
              "requestMetadata": {"callerIp": "VARCHAR", "callerSuppliedUserAgent": "VARCHAR",
                                  "requestAttributes": {"time": "VARCHAR"}},
              "request": "JSON", "requestJson": "VARCHAR", "response": "JSON", "responseJson": "VARCHAR",
              "serviceData": "JSON", "servicedata_v1_iam": "JSON"}')) end as p
    from parsed
),
judged as (
    select *,
        -- `timestamp`, else the request's own time (an entry trimmed by hand may lack the first)
        coalesce(vl_timestamp(e.timestamp), vl_timestamp(p.requestMetadata.requestAttributes.time)) as ts,
        coalesce(e.timestamp, p.requestMetadata.requestAttributes.time) as ts_text,
        case
            when txt is null then 'invalid UTF-8'
            when octet_length(raw) > $max_line_bytes then 'record longer than the limit of ' || $max_line_bytes || ' bytes'
            when not json_valid(txt) then 'not valid JSON (truncated or malformed)'
            when json_type(txt) <> 'OBJECT' then 'not a JSON object'
            when e is null then 'not valid JSON (truncated or malformed)'
            when p is null or not coalesce(e.protoPayload."@type" like '%google.cloud.audit.AuditLog', true)
                then 'not a Cloud Audit Log entry (no AuditLog "protoPayload")'
        end as bad
    from checked
),
base as (
    select line, raw, txt, e, p, ts,
        coalesce(bad, case when vl_bad_offset(ts_text) then 'impossible UTC offset in "timestamp": ' || left(ts_text, 40)
                           when ts is null then 'no valid "timestamp" field'
                           when vl_implausible(ts) then '"timestamp" ' || left(ts_text, 40)
                                || ' is before 1990 or more than a day after the ingest' end) as reason,
        url_decode(e.logName) as log_name,
        p.serviceName as service,
        p.methodName as method,
        split_part(p.methodName, '.', -1) as short,
        split_part(p.methodName, '.', -2) as collection,
        coalesce(p.request, try(p.requestJson::json)) as request,
        coalesce(p.response, try(p.responseJson::json)) as response,
        coalesce(p.serviceData, p.servicedata_v1_iam) as service_data,
        nullif(p.authenticationInfo.principalEmail, '') as email,
        nullif(p.authenticationInfo.principalSubject, '') as subject,
        try_cast(p.status.code as integer) as code,
        p.requestMetadata.callerIp as caller_ip
    from judged
),
keyed as (
    select *,
        service = 'secretmanager.googleapis.com' or method like 'google.cloud.secretmanager.%' as is_secret_manager,
        -- the secret a Secret Manager call names; CreateSecret may name only the parent and the new id
        nullif(coalesce(
            nullif(regexp_extract(p.resourceName, '^(projects/[^/]+(/locations/[^/]+)?/secrets/[^/]+)', 1), ''),
            case when short = 'CreateSecret' and regexp_matches(p.resourceName, '^projects/[^/]+(/locations/[^/]+)?$')
                 then p.resourceName || '/secrets/' || json_extract_string(request, '$.secretId') end), '') as secret,
        coalesce(json_array_length(service_data, '$.policyDelta.auditConfigDeltas'), 0) as audit_config_deltas
    from base
),
classified as (
    select *,
        case
            when is_secret_manager then case
                when short = 'AccessSecretVersion' then 'secret.read'
                when short in ('GetSecret', 'GetSecretVersion', 'ListSecrets', 'ListSecretVersions', 'GetIamPolicy')
                    then 'secret.list'
                when short in ('AddSecretVersion', 'CreateSecret') then 'secret.write'
                when short in ('UpdateSecret', 'EnableSecretVersion', 'DisableSecretVersion') then 'secret.config'
                when short in ('DeleteSecret', 'DestroySecretVersion') then 'secret.delete'
                when short = 'SetIamPolicy' then 'policy.change'
                else 'other' end  -- TestIamPermissions, GetLocation, ListLocations: nothing about a secret
            -- a KMS key is a secret of its own (its resource is the key, without the version)
            when service = 'cloudkms.googleapis.com' then case
                when short in ('Encrypt', 'Decrypt', 'AsymmetricSign', 'AsymmetricDecrypt', 'MacSign', 'MacVerify',
                               'RawEncrypt', 'RawDecrypt') then 'key.use'
                when short in ('GetKeyRing', 'GetCryptoKey', 'GetCryptoKeyVersion', 'ListKeyRings', 'ListCryptoKeys',
                               'ListCryptoKeyVersions', 'GetPublicKey', 'GetImportJob', 'ListImportJobs',
                               'GetIamPolicy') then 'secret.list'
                when short in ('CreateKeyRing', 'CreateCryptoKey', 'ImportCryptoKeyVersion') then 'secret.write'
                -- a new version, or a new primary version, of an existing key
                when short in ('CreateCryptoKeyVersion', 'UpdateCryptoKeyPrimaryVersion') then 'secret.rotate'
                when short = 'DestroyCryptoKeyVersion' then 'secret.delete'
                when short in ('UpdateCryptoKey', 'UpdateCryptoKeyVersion', 'RestoreCryptoKeyVersion',
                               'CreateImportJob') then 'secret.config'
                when lower(short) = 'setiampolicy' then 'policy.change'
                else 'other' end  -- GenerateRandomBytes uses no key
            -- service account credentials: short-lived tokens, and keys
            when service = 'iamcredentials.googleapis.com' then case
                when short in ('GenerateAccessToken', 'GenerateIdToken', 'SignJwt') then 'token.create'
                when short = 'SignBlob' then 'key.use'
                else 'other' end
            when service = 'iam.googleapis.com' and short in ('CreateServiceAccountKey', 'UploadServiceAccountKey')
                then 'token.create'
            when service = 'iam.googleapis.com' and short in ('DeleteServiceAccountKey', 'DisableServiceAccountKey')
                then 'token.revoke'
            when service = 'sts.googleapis.com' and short = 'ExchangeToken' then 'token.create'
            when service = 'iam.googleapis.com' and short in ('CreateServiceAccount', 'DeleteServiceAccount',
                 'DisableServiceAccount', 'EnableServiceAccount', 'UndeleteServiceAccount') then 'sys.other'
            -- a project/folder/organisation policy that changes which audit logs are written
            when lower(short) = 'setiampolicy' and audit_config_deltas > 0 then 'audit.change'
            when lower(short) = 'setiampolicy' then 'policy.change'
            -- log routing and retention: sinks, exclusions, buckets, settings, deleting a log
            when service = 'logging.googleapis.com' and regexp_matches(short, '^((Create|Update|Delete|Undelete)'
                 || '(Sink|Exclusion|Bucket|BucketAsync|View|Link)|Update(Settings|CmekSettings)|DeleteLog)$')
                then 'audit.change'
            when service = 'login.googleapis.com' and short in ('loginSuccess', 'loginFailure') then 'auth.login'
            else 'other'
        end as category,
        case
            when code in (7, 16) then 'denied'  -- PERMISSION_DENIED, UNAUTHENTICATED
            when coalesce(code, 0) <> 0 then 'error'
            when service = 'login.googleapis.com' and short = 'loginFailure' then 'denied'
            else 'ok'
        end as outcome,
        case
            when email ilike '%.gserviceaccount.com' or email ilike 'system:serviceaccount:%'
                 or subject ilike 'serviceAccount:%' or subject ilike '%/workloadIdentityPools/%' then 'service'
            when email like '%@%' or subject ilike 'user:%' or subject ilike '%/workforcePools/%' then 'human'
            else 'unknown'
        end as actor_type
    from keyed
)
select
    line, reason,
    -- a bad record's first bytes: excerpts.redact_excerpt keeps its shape and field names, no value
    case when reason is not null then raw[1:4096] end as excerpt,
    case when reason is null then vl_record_hash((e, p.serviceName, p.methodName, p.resourceName, p.resourceLocation, p.status,
        p.authenticationInfo, p.requestMetadata, vl_canonical_json(request), vl_canonical_json(response),
        vl_canonical_json(service_data))) end as rec_hash,
    'request' as kind, 0 as part,
    case when reason is null then coalesce(nullif(e.insertId, ''), lpad(lower(hex(vl_record_hash((e, p.serviceName, p.methodName, p.resourceName, p.resourceLocation, p.status,
        p.authenticationInfo, p.requestMetadata, vl_canonical_json(request), vl_canonical_json(response),
        vl_canonical_json(service_data))))), 32, '0')) end as event_id,
    'gcp' as source,
    ts,
    coalesce(email, subject) as actor,
    coalesce(email, subject) as actor_name,
    actor_type,
    case
        when subject ilike '%/workforcePools/%' then 'workforce-identity'
        when subject ilike '%/workloadIdentityPools/%' then 'workload-identity'
        when actor_type = 'service' and nullif(p.authenticationInfo.serviceAccountKeyName, '') is not null
            then 'service-account-key'
        when actor_type = 'service' then 'service-account'
        when actor_type = 'human' then 'google'
    end as auth_method,
    nullif(p.authenticationInfo.serviceAccountKeyName, '') as token_id,
    -- the method's last name, with its collection when it has one (compute `subnetworks.patch`)
    case when regexp_matches(collection, '^[a-z][A-Za-z]*s$') then collection || '.' || short else short end as action,
    category,
    coalesce(secret, case when service = 'cloudkms.googleapis.com'
                          then regexp_replace(p.resourceName, '/cryptoKeyVersions/[^/]+$', '') end,
             nullif(p.resourceName, '')) as resource,
    service as mount,
    case when regexp_matches(caller_ip, '^[0-9.]+$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$') then caller_ip end as src_ip,
    -- "private", "gce-internal-ip" and the like: a caller with no public address
    case when not regexp_matches(caller_ip, '^[0-9.]+$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$') then caller_ip end
        as source_host,
    p.requestMetadata.callerSuppliedUserAgent as user_agent,
    outcome,
    case when coalesce(code, 0) <> 0 then coalesce(nullif(p.status.message, ''), case when code between 1 and 16 then
        ['CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
         'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE',
         'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'][code] end, 'code ' || code)
    end as error,
    p.resourceName as path,
    coalesce(nullif(e.resource.labels.project_id, ''),
             nullif(regexp_extract(log_name, '^projects/([^/]+)/', 1), ''),
             nullif(nullif(regexp_extract(p.resourceName, '^projects/([^/]+)/', 1), ''), '-'),
             nullif(regexp_extract(log_name, '^((organizations|folders|billingAccounts)/[^/]+)/', 1), '')) as account,
    nullif(p.resourceLocation.currentLocations[1], '') as region,
    case when json_type(request) = 'OBJECT' then json_keys(request) end as request_keys,
    case when json_type(response) = 'OBJECT' then json_keys(response) end as response_keys
from classified
