path "secret/data/+/billing/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/billing/*" {
  capabilities = ["list", "read"]
}
