"""The one exception type that the CLI turns into a clean one-line error."""


class VaultlabError(Exception):
    """A request vaultlab cannot carry out; the message says what to do instead."""
