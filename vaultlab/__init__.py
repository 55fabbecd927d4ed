"""vaultlab: compliance analytics for secrets management over a DuckDB warehouse."""

__version__ = "0.1.0"  # first: modules import it

from vaultlab.errors import VaultlabError
from vaultlab.ingest.load import ingest
from vaultlab.warehouse import Warehouse

__all__ = ["VaultlabError", "Warehouse", "ingest", "__version__"]
