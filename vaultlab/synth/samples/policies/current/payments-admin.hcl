path "secret/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
