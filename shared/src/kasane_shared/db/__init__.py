"""PostgreSQL plumbing: the asyncpg pool, the FastAPI transaction dependency, migrations."""

from kasane_shared.db.pool import Conn, create_pool, transaction

__all__ = ["Conn", "create_pool", "transaction"]
