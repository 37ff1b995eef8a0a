"""Dependencies the routes share: scopes (``<resource>:<action>``) and the rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from kasane_shared.auth.deps import require
from kasane_shared.auth.tokens import Principal

from kasane_coordination.rules import CoordinationRules, rules_for


def _rules(request: Request) -> CoordinationRules:
    return rules_for(request.app.state.profile)


Rules = Annotated[CoordinationRules, Depends(_rules)]

# module level: routes' annotations are strings resolved in the modules that import these
CaseReader = Annotated[Principal, Depends(require("cases:read"))]
CaseWriter = Annotated[Principal, Depends(require("cases:write"))]
PlanWriter = Annotated[Principal, Depends(require("plans:write"))]
MeetingReader = Annotated[Principal, Depends(require("meetings:read"))]
MeetingWriter = Annotated[Principal, Depends(require("meetings:write"))]
OutreachReader = Annotated[Principal, Depends(require("outreach:read"))]
OutreachWriter = Annotated[Principal, Depends(require("outreach:write"))]
