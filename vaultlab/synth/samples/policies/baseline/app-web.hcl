path "secret/data/prod/web/*" {
  capabilities = ["read"]
}

path "secret/data/staging/web/*" {
  capabilities = ["read"]
}
