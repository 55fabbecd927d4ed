path "secret/data/prod/ci/*" {
  capabilities = ["read"]
}

path "secret/data/staging/ci/*" {
  capabilities = ["read"]
}

path "sys/mounts/*" {
  capabilities = ["read", "update"]
}
