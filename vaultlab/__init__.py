"""vaultlab: compliance analytics for secrets management over a DuckDB warehouse."""

__version__ = "0.1.0"  # first: modules import it

from .errors import VaultlabError
from .ingestion import ingest
from .warehouse import Warehouse

__all__ = ["VaultlabError", "Warehouse", "ingest", "__version__"]
