"""Bearer-token authentication, scope checks, and development tokens."""

from kasane_shared.auth.deps import CurrentPrincipal, authenticate, require
from kasane_shared.auth.tokens import InvalidToken, Principal, TokenVerifier

__all__ = ["CurrentPrincipal", "InvalidToken", "Principal", "TokenVerifier", "authenticate", "require"]
