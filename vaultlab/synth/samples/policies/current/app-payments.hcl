path "secret/data/prod/payments/*" {
  capabilities = ["read"]
}

path "secret/data/staging/payments/*" {
  capabilities = ["read"]
}
