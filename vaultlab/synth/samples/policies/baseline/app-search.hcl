path "secret/data/prod/search/*" {
  capabilities = ["read"]
}

path "secret/data/staging/search/*" {
  capabilities = ["read"]
}
