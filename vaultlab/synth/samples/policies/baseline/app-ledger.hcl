path "secret/data/prod/ledger/*" {
  capabilities = ["read"]
}

path "secret/data/staging/ledger/*" {
  capabilities = ["read"]
}
