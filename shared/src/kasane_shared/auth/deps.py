"""FastAPI dependencies: who is calling, and whether their token carries a scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kasane_shared.auth.scopes import Scope
from kasane_shared.auth.tokens import InvalidToken, Principal, TokenVerifier
from kasane_shared.http.problems import Problem

_bearer = HTTPBearer(auto_error=False, description="An OAuth2 access token (JWT) for an agency")


def _unauthorized(detail: str, error: str = "invalid_token") -> Problem:
    return Problem(
        detail,
        status=401,
        title="Unauthorized",
        slug="unauthorized",
        headers={"WWW-Authenticate": f'Bearer realm="kasane", error="{error}"'},
    )


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The verified caller; 401 without a valid token, 403 for an agency not in the profile."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("a bearer token is required", "invalid_request")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise _unauthorized(f"the token is not valid: {exc}") from None
    profile = request.app.state.profile
    if profile.agency(principal.agency_id) is None:
        raise Problem(
            "the token's agency is not in this municipality's profile",
            status=403, title="Forbidden", slug="unknown-agency",
        )
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def require(*wanted: str | Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits a caller whose token has every one of ``wanted`` scopes."""
    scopes = [str(s) for s in wanted]

    async def _check(principal: CurrentPrincipal) -> Principal:
        missing = [s for s in scopes if not principal.has(s)]
        if missing:
            raise Problem(
                f"the token lacks the scope {' '.join(missing)}",
                status=403,
                title="Forbidden",
                slug="insufficient-scope",
                headers={
                    "WWW-Authenticate": f'Bearer realm="kasane", error="insufficient_scope", '
                    f'scope="{" ".join(scopes)}"'
                },
            )
        return principal

    return _check
