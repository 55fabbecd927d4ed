path "secret/data/+/mailer/*" {
  capabilities = ["create", "read", "update"]
}

path "secret/metadata/+/mailer/*" {
  capabilities = ["list", "read"]
}
