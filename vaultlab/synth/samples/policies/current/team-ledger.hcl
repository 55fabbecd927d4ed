path "secret/data/+/ledger/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/ledger/*" {
  capabilities = ["list", "read"]
}
