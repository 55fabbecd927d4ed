path "secret/data/+/ci/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/ci/*" {
  capabilities = ["list", "read"]
}
