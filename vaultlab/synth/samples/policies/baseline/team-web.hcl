path "secret/data/+/web/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/web/*" {
  capabilities = ["list", "read"]
}
