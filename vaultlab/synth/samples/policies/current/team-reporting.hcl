path "secret/data/+/reporting/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/reporting/*" {
  capabilities = ["list", "read"]
}
