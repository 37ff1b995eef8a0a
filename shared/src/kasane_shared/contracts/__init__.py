"""The integration contract: every event type Kasane publishes or accepts, by stream.

Importing this package registers them all (the AsyncAPI document and the JSON Schemas
under docs/ are generated from here)."""

from kasane_shared.contracts import codes, community, coordination, intake, participation, partner

__all__ = ["codes", "community", "coordination", "intake", "participation", "partner"]
