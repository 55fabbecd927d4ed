path "secret/data/prod/reporting/*" {
  capabilities = ["read"]
}

path "secret/data/staging/reporting/*" {
  capabilities = ["read"]
}
