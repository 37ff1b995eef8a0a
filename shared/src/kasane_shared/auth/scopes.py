"""Token scopes, declared once: each service declares its scopes in its ``scopes`` module,
the runtime lists them in the OpenAPI document and ``kasane-token``, and the development
tools mint tokens from the same list.

Scopes are ``<resource>:<action>`` (RFC 9068 style, space-separated in the token).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """One scope: its name in the token and what it lets a caller do."""

    name: str
    description: str
    service: str

    def __str__(self) -> str:
        return self.name


_REGISTRY: dict[str, Scope] = {}


def declare(service: str, name: str, description: str) -> Scope:
    """Declare a scope (once per name; declaring the same one again returns it)."""
    existing = _REGISTRY.get(name)
    if existing is not None:
        if (existing.service, existing.description) != (service, description):
            raise ValueError(f"scope {name} is declared twice, differently")
        return existing
    scope = _REGISTRY[name] = Scope(name, description, service)
    return scope


def declared(service: str | None = None) -> list[Scope]:
    """Every declared scope (of one service), by name."""
    return sorted((s for s in _REGISTRY.values() if service is None or s.service == service),
                  key=lambda s: s.name)


BREAK_GLASS = declare("shared", "break-glass", "open one record for a few hours in an emergency, with a reason")
