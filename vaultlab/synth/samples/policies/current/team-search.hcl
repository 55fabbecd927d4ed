path "secret/data/+/search/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/search/*" {
  capabilities = ["list", "read"]
}
