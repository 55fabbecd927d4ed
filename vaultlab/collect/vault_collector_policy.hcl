# vaultlab collector: read-only, metadata only. The deny rules win over any other policy
# attached to the same token, so it can never read a secret value.

path "sys/mounts" { capabilities = ["read"] }
path "sys/auth" { capabilities = ["read"] }
path "sys/audit" { capabilities = ["read", "sudo"] }
# the HMAC an audit device writes for a token accessor (tokens join audit events by it)
path "sys/audit-hash/*" { capabilities = ["update"] }
path "sys/policies/acl" { capabilities = ["list"] }
path "sys/policies/acl/*" { capabilities = ["read"] }

# tokens by accessor: listing accessors needs sudo; a lookup by accessor returns no token
path "auth/token/accessors" { capabilities = ["list", "sudo"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "identity/entity/id" { capabilities = ["list"] }
path "identity/entity/id/*" { capabilities = ["read"] }

# key names under any mount (KV v1 secrets can only be listed: a LIST returns no value)
path "+/*" { capabilities = ["list"] }
# KV v2 metadata, database static roles, PKI certificates (public)
path "+/metadata/*" { capabilities = ["read", "list"] }
path "+/static-roles/*" { capabilities = ["read"] }
path "+/cert/*" { capabilities = ["read"] }

# secret material: never
path "+/data/*" { capabilities = ["deny"] }
path "+/creds/*" { capabilities = ["deny"] }
path "+/static-creds/*" { capabilities = ["deny"] }
path "+/issue/*" { capabilities = ["deny"] }
