"""Bearer JWT verification: partner systems and staff tools present OAuth2 access tokens
signed with RS256 or ES256; keys come from a JWKS URL or configured PEM files.

Claims Kasane reads: ``sub`` (who), ``agency`` (which agency of the municipality profile
acts), ``scope`` (space-separated, as in RFC 9068), plus ``iss``, ``aud`` and ``exp``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from jwt import PyJWKClient

ALGORITHMS = ("RS256", "ES256")


class InvalidToken(Exception):
    """The token is missing, malformed, expired or not signed by a trusted key."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an agency (from the profile), a subject within it, and scopes."""

    agency_id: str
    subject: str
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


class TokenVerifier:
    """Verifies bearer tokens against configured PEM keys and/or a JWKS endpoint."""

    def __init__(
        self,
        *,
        public_key_files: list[Path] | None = None,
        jwks_url: str | None = None,
        issuer: str,
        audience: str | None = "kasane",
        leeway_seconds: int = 30,
    ) -> None:
        self._keys = [p.read_bytes() for p in public_key_files or []]
        self._jwks = PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        if not self._keys and self._jwks is None:
            raise ValueError("configure jwt_public_key_files or jwt_jwks_url")
        if not issuer:
            raise ValueError("configure jwt_issuer: tokens from an unnamed issuer are never accepted")
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    async def verify(self, token: str) -> Principal:
        """The principal the token names; raise :class:`InvalidToken` otherwise."""
        candidates: list[object]
        if self._jwks is not None:
            try:
                # PyJWKClient fetches over the network synchronously: keep it off the loop.
                signing = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                candidates = [signing.key]
            except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
                if not self._keys:
                    raise InvalidToken(str(exc)) from None
                candidates = list(self._keys)
        else:
            candidates = list(self._keys)
        last: Exception | None = None
        for key in candidates:
            try:
                claims = jwt.decode(
                    token,
                    key,  # type: ignore[arg-type]
                    algorithms=list(ALGORITHMS),
                    audience=self._audience,
                    issuer=self._issuer,
                    leeway=self._leeway,
                    options={"require": ["exp", "sub", "agency", "iss"]},
                )
            except jwt.InvalidSignatureError as exc:
                last = exc
                continue
            except jwt.PyJWTError as exc:
                raise InvalidToken(str(exc)) from None
            agency = claims.get("agency")
            if not isinstance(agency, str) or not agency:
                raise InvalidToken("the agency claim must be a non-empty string")
            scope = claims.get("scope", "")
            scopes = scope.split() if isinstance(scope, str) else []
            return Principal(agency_id=agency, subject=str(claims["sub"]), scopes=frozenset(scopes))
        raise InvalidToken(str(last) if last else "no key verifies this token")
