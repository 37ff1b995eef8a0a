"""Who may call what: the scopes of community's API (docs/community.md lists them).

Everything needs a bearer token of an agency in the profile; nothing is anonymous except
the health probes. The aliases live at module level so FastAPI can resolve them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal
from kasane_shared.http.problems import Forbidden

DIRECTORY_READ = "directory:read"  # places, activities, organisations, coordinators, areas, HSDS export
PLACES_WRITE = "places:write"  # places and their activities
ORGANISATIONS_WRITE = "organisations:write"
COORDINATORS_WRITE = "coordinators:write"
DEVELOPMENTS_READ = "developments:read"  # projects and the gap needs they come from
DEVELOPMENTS_WRITE = "developments:write"
STATS_READ = "stats:read"

DirectoryReader = Annotated[Principal, Depends(require(DIRECTORY_READ))]
PlacesWriter = Annotated[Principal, Depends(require(PLACES_WRITE))]
OrganisationsWriter = Annotated[Principal, Depends(require(ORGANISATIONS_WRITE))]
CoordinatorsWriter = Annotated[Principal, Depends(require(COORDINATORS_WRITE))]
DevelopmentsReader = Annotated[Principal, Depends(require(DEVELOPMENTS_READ))]
DevelopmentsWriter = Annotated[Principal, Depends(require(DEVELOPMENTS_WRITE))]
StatsReader = Annotated[Principal, Depends(require(STATS_READ))]


def ensure_keeper(principal: Principal, *agencies: str | None, what: str) -> None:
    """403 unless the caller's agency is one of those that keep the record.

    Directory records are readable by every agency with ``directory:read``, so a caller
    who may not change one is told so (403), not told it does not exist.
    """
    if principal.agency_id not in {a for a in agencies if a}:
        raise Forbidden(f"only the agency that keeps this {what} may change it", slug="not-keeper")
