"""vaultlab: compliance analytics for secrets management over a DuckDB warehouse."""

from .errors import VaultlabError
from .ingestion import ingest
from .warehouse import Warehouse

__version__ = "0.1.0"
__all__ = ["VaultlabError", "Warehouse", "ingest", "__version__"]
