path "secret/data/prod/mailer/*" {
  capabilities = ["read"]
}

path "secret/data/staging/mailer/*" {
  capabilities = ["read"]
}
