path "secret/data/prod/billing/*" {
  capabilities = ["read"]
}

path "secret/data/staging/billing/*" {
  capabilities = ["read"]
}
