-- AWS CloudTrail: one batch of numbered records -> one normalised row per record, or one per
-- secret for BatchGetSecretValue (numbered by `part`).
-- Input: the Arrow batch `batch(line, raw)` (a JSON line, or one element of a Records list
-- and the blanks after it); parameters $max_line_bytes.
-- Secrets are keyed by their ARN without the random 6-character suffix
-- (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), built from the record's region and
-- account when a call names the secret only; `resource_alias` keeps the bare NAME so that an
-- inventory listing names only still matches.
with decoded as (
    select line, raw, try(decode(raw)) as txt
    from batch
),
parsed as (
    select line, raw, txt,
        case when octet_length(raw) <= $max_line_bytes then try(json_transform(txt, '{
            "eventVersion": "VARCHAR", "eventTime": "VARCHAR", "eventSource": "VARCHAR",
            "eventName": "VARCHAR", "eventType": "VARCHAR", "eventID": "VARCHAR", "awsRegion": "VARCHAR",
            "sourceIPAddress": "VARCHAR", "userAgent": "VARCHAR", "errorCode": "VARCHAR",
            "errorMessage": "VARCHAR", "recipientAccountId": "VARCHAR", "requestID": "VARCHAR",
            "userIdentity": {"type": "VARCHAR", "principalId": "VARCHAR", "arn": "VARCHAR",
                             "accountId": "VARCHAR", "accessKeyId": "VARCHAR", "userName": "VARCHAR",
                             "invokedBy": "VARCHAR", "identityProvider": "VARCHAR",
                             "onBehalfOf": {"userId": "VARCHAR", "identityStoreArn": "VARCHAR"},
                             "sessionContext": {"sessionIssuer": {"type": "VARCHAR", "userName": "VARCHAR",
                                                                  "arn": "VARCHAR"}}},
            "requestParameters": {"secretId": "VARCHAR", "secretIdList": ["VARCHAR"], "name": "VARCHAR",
                                  "resourceArn": "VARCHAR", "secretString": "VARCHAR", "secretBinary": "VARCHAR",
                                  "encryptionContext": {"SecretARN": "VARCHAR"}, "keyId": "VARCHAR",
                                  "aliasName": "VARCHAR"},
            "responseElements": "JSON",
            "additionalEventData": {"SecretId": "VARCHAR", "UserName": "VARCHAR"},
            "serviceEventDetails": {"UserAuthentication": "VARCHAR"},
            "resources": [{"ARN": "VARCHAR", "type": "VARCHAR"}]}')) end as e
    from decoded
    where txt is null or starts_with(txt, '{') or trim(txt, chr(9) || chr(10) || chr(13) || ' ') <> ''
),
checked as (
    select *,
        case
            when txt is null then 'invalid UTF-8'
            when octet_length(raw) > $max_line_bytes then 'record longer than the limit of ' || $max_line_bytes || ' bytes'
            when e is null then
                case when json_valid(txt) and json_type(txt) <> 'OBJECT' then 'not a JSON object'
                     else 'not valid JSON (truncated or malformed)' end
            when e.eventTime is null then
                case when json_type(txt) <> 'OBJECT' then 'not a JSON object' else 'no "eventTime" field' end
            when vl_bad_offset(e.eventTime) then 'impossible UTC offset in "eventTime": ' || left(e.eventTime, 40)
            when vl_timestamp(e.eventTime) is null then 'no valid "eventTime" field'
            when vl_implausible(vl_timestamp(e.eventTime)) then '"eventTime" ' || left(e.eventTime, 40)
                 || ' is before 1990 or more than a day after the ingest'
        end as reason
    from parsed
),
base as (
    select line, raw, txt, reason, e,
        -- kept as JSON for the record's identity (its unread fields count too), read here
        json_transform(e.responseElements, '{"arn": "VARCHAR", "ConsoleLogin": "VARCHAR",
                                             "keyMetadata": {"arn": "VARCHAR"}}') as re,
        -- a bad record's first bytes: excerpts.redact_excerpt keeps its shape and field names, no value
        case when reason is not null then raw[1:4096] end as excerpt,
        coalesce(e.recipientAccountId, e.userIdentity.accountId) as account_id,
        e.awsRegion as region,
        split_part(e.eventSource, '.', 1) as service,
        coalesce(e.eventName, e.eventType) as event_name,
        e.userIdentity.type as who_type,
        nullif(e.userIdentity.sessionContext.sessionIssuer.userName, '') as issuer_name,
        -- identity fields with "" read as absent: AWS writes "arn": "" for Identity Center users
        nullif(e.userIdentity.arn, '') as who_arn,
        nullif(e.userIdentity.principalId, '') as who_principal,
        nullif(e.userIdentity.accountId, '') as who_account,
        nullif(e.userIdentity.userName, '') as who_user,
        nullif(e.userIdentity.invokedBy, '') as who_invoked_by,
        nullif(e.userIdentity.accessKeyId, '') as who_key,
        -- an Identity Center user: its id in its identity store, and the name the event gives
        case when nullif(e.userIdentity.onBehalfOf.userId, '') is not null
             then coalesce(nullif(e.userIdentity.onBehalfOf.identityStoreArn, '') || '/user/', 'identitystore-user/')
                  || e.userIdentity.onBehalfOf.userId end as who_store_user,
        nullif(e.additionalEventData.UserName, '') as event_user_name
    from checked
),
identity as (
    select *, nullif(split_part(who_arn, '/', -1), '') as arn_tail
    from base
),
secret_refs as (  -- every secret a record names: a list of one, several, or none
    select *,
        case
            when service = 'secretsmanager' and event_name = 'BatchGetSecretValue'
                 and len(e.requestParameters.secretIdList) > 0 then e.requestParameters.secretIdList
            when service = 'secretsmanager' then [coalesce(
                e.requestParameters.secretId, re.arn, e.requestParameters.name,
                e.additionalEventData.SecretId, e.requestParameters.resourceArn,
                list_filter(e.resources, lambda r: r.type = 'AWS::SecretsManager::Secret')[1].ARN)]
            when service = 'kms' then [e.requestParameters.encryptionContext.SecretARN]
            else [null]
        end as refs
    from identity
),
per_secret as (
    select * exclude (refs),
        unnest(case when len(refs) > 0 then refs else [null] end) as secret_ref,
        unnest(range(greatest(len(refs), 1)))::integer as part,
        greatest(len(refs), 1) as parts
    from secret_refs
),
named as (
    select *, case when secret_ref like 'arn:%:secret:%' then regexp_extract(secret_ref, ':secret:(.*)$', 1) end
                  as arn_name
    from per_secret
),
keyed as (
    select *,
        -- the secret's name: an ARN's last field without the random -XXXXXX suffix Secrets Manager
        -- adds (six letters and digits, not all lower-case: a partial ARN of "db-backup" keeps it)
        case when arn_name is null then secret_ref
             when regexp_matches(right(arn_name, 7), '^-[A-Za-z0-9]{6}$')
                  and not regexp_matches(right(arn_name, 7), '^-[a-z]{6}$')
                 then substr(arn_name, 1, length(arn_name) - 7)
             else arn_name end as secret_name,
        case when arn_name is not null then split_part(secret_ref, ':', 4) else region end as secret_region,
        case when arn_name is not null then split_part(secret_ref, ':', 5) else account_id end as secret_account,
        case when arn_name is not null then split_part(secret_ref, ':', 2)
             when region like 'cn-%' then 'aws-cn' when region like 'us-gov-%' then 'aws-us-gov'
             else 'aws' end as partition
    from named
),
classified as (
    select *,
        case
            when service = 'secretsmanager' then case
                when event_name in ('GetSecretValue', 'BatchGetSecretValue') then 'secret.read'
                when event_name in ('ListSecrets', 'DescribeSecret', 'ListSecretVersionIds', 'GetResourcePolicy',
                                    'ValidateResourcePolicy') then 'secret.list'
                when event_name in ('CreateSecret', 'PutSecretValue') then 'secret.write'
                -- UpdateSecret changes the value only when it carries one
                when event_name = 'UpdateSecret' and (e.requestParameters.secretString is not null
                     or e.requestParameters.secretBinary is not null) then 'secret.write'
                -- EndSecretVersionDelete: a deprecated version removed when its deletion window ends
                when event_name in ('DeleteSecret', 'EndSecretVersionDelete') then 'secret.delete'
                when event_name in ('RotationSucceeded', 'RotationFailed') then 'secret.rotate'
                when event_name in ('PutResourcePolicy', 'DeleteResourcePolicy') then 'policy.change'
                -- RestoreSecret cancels a deletion: the value is the old one, so it is no rotation
                when event_name in ('UpdateSecret', 'RotateSecret', 'CancelRotateSecret', 'RotationStarted', 'RestoreSecret',
                                    'RotationAbandoned', 'TagResource', 'UntagResource', 'UpdateSecretVersionStage',
                                    'ReplicateSecretToRegions', 'RemoveRegionsFromReplication',
                                    'StopReplicationToReplica', 'StartSecretVersionDelete',
                                    'CancelSecretVersionDelete', 'ReplicationStarted', 'ReplicationSucceeded',
                                    'ReplicationFailed') then 'secret.config'
                else 'other' end  -- GetRandomPassword names no secret
            -- KMS work done for Secrets Manager on a secret's behalf
            when service = 'kms' and secret_ref is not null then 'key.use'
            -- a KMS key is a secret of its own: the key ARN is the resource
            when service = 'kms' then case
                when event_name in ('Decrypt', 'Encrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyPair',
                                    'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPairWithoutPlaintext',
                                    'GenerateMac', 'VerifyMac', 'Sign', 'Verify', 'DeriveSharedSecret')
                    then 'key.use'
                when event_name in ('DescribeKey', 'ListKeys', 'ListAliases', 'ListGrants', 'ListRetirableGrants',
                                    'ListKeyPolicies', 'GetKeyPolicy', 'GetKeyRotationStatus', 'ListKeyRotations',
                                    'ListResourceTags', 'GetPublicKey', 'DescribeCustomKeyStores') then 'secret.list'
                when event_name in ('CreateKey', 'ImportKeyMaterial') then 'secret.write'
                when event_name in ('RotateKey', 'RotateKeyOnDemand') then 'secret.rotate'
                -- DeleteKey and DeleteExpiredKeyMaterial: KMS itself, when a deletion falls due
                when event_name in ('ScheduleKeyDeletion', 'DeleteKey', 'DeleteImportedKeyMaterial',
                                    'DeleteExpiredKeyMaterial') then 'secret.delete'
                when event_name in ('PutKeyPolicy', 'CreateGrant', 'RetireGrant', 'RevokeGrant') then 'policy.change'
                when event_name in ('DisableKey', 'EnableKey', 'CancelKeyDeletion', 'EnableKeyRotation',
                                    'DisableKeyRotation', 'UpdateKeyDescription', 'TagResource', 'UntagResource',
                                    'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'UpdatePrimaryRegion', 'ReplicateKey',
                                    'SynchronizeMultiRegionKey', 'GetParametersForImport', 'CreateCustomKeyStore',
                                    'UpdateCustomKeyStore', 'DeleteCustomKeyStore', 'ConnectCustomKeyStore',
                                    'DisconnectCustomKeyStore') then 'secret.config'
                else 'other' end  -- GenerateRandom uses no key
            -- sign-in: the console, and IAM Identity Center's user authentication
            when service = 'signin' and event_name in ('ConsoleLogin', 'UserAuthentication') then 'auth.login'
            when service = 'signin' and event_name = 'SwitchRole' then 'token.create'
            -- the Identity Center portal hands out role credentials; its admin API grants access
            when service in ('sso', 'portal') then case
                when event_name = 'Authenticate' then 'auth.login'
                when event_name in ('Federate', 'GetRoleCredentials', 'CreateToken') then 'token.create'
                when event_name = 'Logout' then 'token.revoke'
                when event_name in ('CreatePermissionSet', 'DeletePermissionSet', 'UpdatePermissionSet',
                                    'AttachManagedPolicyToPermissionSet', 'DetachManagedPolicyFromPermissionSet',
                                    'PutInlinePolicyToPermissionSet', 'DeleteInlinePolicyFromPermissionSet',
                                    'CreateAccountAssignment', 'DeleteAccountAssignment', 'ProvisionPermissionSet')
                    then 'policy.change'
                else 'other' end
            when service = 'sts' and event_name in ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity',
                 'GetSessionToken', 'GetFederationToken', 'AssumeRoot') then 'token.create'
            when service = 'iam' then case
                when event_name = 'CreateAccessKey' then 'token.create'
                when event_name = 'DeleteAccessKey' then 'token.revoke'
                when event_name in ('UpdateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile', 'DeleteLoginProfile',
                                    'ChangePassword', 'EnableMFADevice', 'DeactivateMFADevice') then 'token.other'
                when regexp_matches(event_name, '^(Attach|Detach|Put|Delete)(User|Role|Group)Policy$')
                     or event_name in ('CreatePolicy', 'CreatePolicyVersion', 'DeletePolicy', 'DeletePolicyVersion',
                                       'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy', 'AddUserToGroup',
                                       'RemoveUserFromGroup') then 'policy.change'
                when event_name in ('CreateUser', 'DeleteUser', 'CreateRole', 'DeleteRole', 'CreateGroup', 'DeleteGroup')
                    then 'sys.other'
                else 'other' end
            -- what is logged, and where: trails and event data stores
            when service = 'cloudtrail' and event_name in ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'CreateTrail',
                 'StartLogging', 'PutEventSelectors', 'PutInsightSelectors', 'CreateEventDataStore',
                 'UpdateEventDataStore', 'DeleteEventDataStore', 'StopEventDataStoreIngestion',
                 'StartEventDataStoreIngestion') then 'audit.change'
            else 'other'
        end as category,
        case
            when e.errorCode similar to '(?i).*(AccessDenied|Unauthorized|Forbidden|NotAuthorized).*' then 'denied'
            when event_name = 'ConsoleLogin' and re.ConsoleLogin = 'Failure'
                then 'denied'
            when event_name = 'UserAuthentication' and e.serviceEventDetails.UserAuthentication = 'Failure'
                then 'denied'
            when e.errorCode is not null or event_name = 'RotationFailed' then 'error'
            else 'ok'
        end as outcome,
        -- an IPv4 or IPv6 address; CloudTrail writes a service's name there for calls it makes
        regexp_matches(e.sourceIPAddress, '^[0-9.]+$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$') as is_address,
        -- the key a KMS call is about, as an ARN (a bare key id or alias completed from the record)
        case when service = 'kms' then coalesce(
            list_filter(e.resources, lambda r: r.type = 'AWS::KMS::Key')[1].ARN,
            re.keyMetadata.arn,
            case when key_ref like 'arn:%' then key_ref
                 when key_ref is not null then 'arn:' || partition || ':kms:' || region || ':' || account_id || ':'
                      || case when key_ref like 'alias/%' then '' else 'key/' end || key_ref end) end as kms_key
    from (select *, coalesce(nullif(e.requestParameters.keyId, ''), nullif(e.requestParameters.aliasName, '')) as key_ref
          from keyed)
)
select
    -- the record's identity, the same however it was laid out (key order, blanks, escapes): the
    -- fields read above, every key and value of responseElements, and the record's length
    line, reason, excerpt, case when reason is null then vl_record_hash((e.eventVersion, e.eventTime, e.eventSource, e.eventName, e.eventType, e.eventID, e.awsRegion,
        e.sourceIPAddress, e.userAgent, e.errorCode, e.errorMessage, e.recipientAccountId, e.requestID, e.userIdentity,
        e.requestParameters, e.additionalEventData, e.serviceEventDetails, e.resources, vl_canonical_json(e.responseElements))) end as rec_hash,
    'request' as kind, part,
    case when reason is null then coalesce(e.eventID, lpad(lower(hex(vl_record_hash((e.eventVersion, e.eventTime, e.eventSource, e.eventName, e.eventType, e.eventID, e.awsRegion,
        e.sourceIPAddress, e.userAgent, e.errorCode, e.errorMessage, e.recipientAccountId, e.requestID, e.userIdentity,
        e.requestParameters, e.additionalEventData, e.serviceEventDetails, e.resources, vl_canonical_json(e.responseElements))))), 32, '0'))
         || case when parts > 1 then '#' || (part + 1) else '' end end as event_id,
    'cloudtrail' as source,
    vl_timestamp(e.eventTime) as ts,
    -- every documented userIdentity.type names someone: the last fallback says what is known
    coalesce(who_arn, who_invoked_by, who_store_user,
             case when who_type = 'AWSAccount' and who_account is not null
                  then 'arn:aws:iam::' || who_account || ':root' end,
             who_principal, who_user, who_key,
             'unidentified ' || coalesce(who_type, 'caller') || coalesce(' in account ' || coalesce(who_account, account_id), ''))
        as actor,
    case
        when who_type = 'Root' then 'root'
        when who_type = 'AssumedRole' then coalesce(arn_tail, issuer_name)  -- the session name
        when who_type = 'IdentityCenterUser' then coalesce(event_user_name, who_user, arn_tail, who_store_user)
        when who_type in ('IAMUser', 'FederatedUser') then coalesce(who_user, arn_tail, who_principal)
        when who_invoked_by is not null then who_invoked_by
        else coalesce(who_user, arn_tail, who_principal, event_user_name)
    end as actor_name,
    case
        when who_type = 'Root' then 'root'
        when who_type in ('IAMUser', 'FederatedUser', 'IdentityCenterUser', 'SAMLUser', 'WebIdentityUser',
                          'Directory') then 'human'
        when who_type = 'AssumedRole' and starts_with(issuer_name, 'AWSReservedSSO_') then 'human'
        when who_type in ('AssumedRole', 'Role', 'AWSService') or who_invoked_by is not null then 'service'
        else 'unknown'
    end as actor_type,
    case
        when who_type = 'AssumedRole' and starts_with(issuer_name, 'AWSReservedSSO_') then 'sso'
        when who_type in ('AssumedRole', 'Role') then 'sts'
        when who_type in ('IAMUser', 'Root') then 'iam'
        when who_type in ('FederatedUser', 'SAMLUser', 'WebIdentityUser') then 'federated'
        when who_type = 'IdentityCenterUser' then 'sso'
        when who_type = 'Directory' then 'directory'
        when who_type = 'AWSService' or who_invoked_by is not null then 'aws-service'
    end as auth_method,
    who_key as token_id,
    event_name as action,
    category,
    case when secret_name is not null then
        'arn:' || partition || ':secretsmanager:' || secret_region || ':' || secret_account || ':secret:' || secret_name
         when service = 'kms' then kms_key end as resource,
    e.eventSource as mount,
    case when is_address then e.sourceIPAddress end as src_ip,
    case when not is_address then e.sourceIPAddress end as source_host,
    e.userAgent as user_agent,
    outcome,
    case when e.errorCode is not null or e.errorMessage is not null
         then concat_ws(': ', e.errorCode, e.errorMessage) end as error,
    secret_ref as path,
    account_id as account,
    region,
    secret_name as resource_alias
from classified
