"""The one place where an identifier is put into SQL text: values are always bound."""


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'
