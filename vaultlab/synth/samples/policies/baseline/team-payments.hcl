path "secret/data/+/payments/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/payments/*" {
  capabilities = ["list", "read"]
}
