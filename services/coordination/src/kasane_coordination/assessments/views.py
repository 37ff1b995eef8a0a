"""``/v1/cases/{id}/assessments``: versioned assessments per household member."""

from __future__ import annotations

from typing import Literal
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter
from kasane_shared.contracts.codes import CaseStatus
from kasane_shared.contracts.coordination import AssessmentRecorded
from kasane_shared.db import Conn
from kasane_shared.http.problems import Conflict, NotFound

from kasane_coordination.access import CaseAccess, audit_read, audit_write, case_access
from kasane_coordination.assessments import store
from kasane_coordination.assessments.models import AssessmentCreate, AssessmentRead, NeedIn, RiskIn
from kasane_coordination.assessments.versions import fields_of, subject_key
from kasane_coordination.deps import CaseReader, CaseWriter, Rules
from kasane_coordination.events import emit

router = APIRouter(tags=["assessments"])


def _read(access: CaseAccess, row: asyncpg.Record) -> AssessmentRead:
    # an agency always sees what it wrote itself
    shown = access.detail or row["recorded_by_agency_id"] == access.agency_id
    return AssessmentRead(
        id=row["id"], case_id=row["case_id"], person_id=row["person_id"], version=row["version"],
        fields=list(row["fields"]), recorded_by_agency_id=row["recorded_by_agency_id"],
        recorded_at=row["recorded_at"], detail="shown" if shown else "withheld",
        needs=[NeedIn(**n) for n in row["needs"]] if shown else None,
        strengths=list(row["strengths"]) if shown else None,
        wishes=row["wishes"] if shown else None,
        wishes_language=row["wishes_language"] if shown else None,
        risks=[RiskIn(**r) for r in row["risks"]] if shown else None,
    )


def _readable(access: CaseAccess) -> None:
    if access.break_glass is None:
        access.require_working("reading assessments")


@router.post("/v1/cases/{case_id}/assessments", status_code=201, response_model=AssessmentRead,
             summary="Record a new assessment version for a household member (or the household)")
async def record(case_id: UUID, body: AssessmentCreate, conn: Conn, principal: CaseWriter,
                 rules: Rules) -> AssessmentRead:
    access = await case_access(conn, principal, case_id, rules, write=True)
    access.require_working("recording an assessment")
    if access.case["status"] == CaseStatus.ended:
        raise Conflict("the case has ended; reopen it first", slug="case-ended")
    subject = subject_key(body.person_id)
    version = await store.next_version(conn, case_id, subject)
    assessment_id = uuid4()
    fields = fields_of(n.field for n in body.needs)
    await store.insert(conn, values={
        "id": assessment_id, "case_id": case_id, "person_id": body.person_id, "subject": subject,
        "version": version, "needs": [n.model_dump(mode="json") for n in body.needs],
        "strengths": list(body.strengths), "wishes": body.wishes, "wishes_language": body.wishes_language,
        "risks": [r.model_dump(mode="json") for r in body.risks], "fields": fields,
        "recorded_by_agency_id": principal.agency_id, "actor": principal.subject,
    })
    await emit(conn, AssessmentRecorded(case_id=case_id, assessment_id=assessment_id, version=version,
                                        person_id=body.person_id, fields=fields),
               agency_id=principal.agency_id, cases=[case_id])
    await audit_write(conn, principal, "create", "assessment", assessment_id)
    return _read(access, await store.get(conn, case_id, assessment_id))


@router.get("/v1/cases/{case_id}/assessments", response_model=list[AssessmentRead],
            summary="The latest version per household member, or every version")
async def list_assessments(case_id: UUID, conn: Conn, principal: CaseReader, rules: Rules,
                           versions: Literal["latest", "all"] = "latest",
                           person_id: UUID | None = None) -> list[AssessmentRead]:
    access = await case_access(conn, principal, case_id, rules)
    _readable(access)
    rows = await store.listing(conn, case_id, latest_only=versions == "latest", person_id=person_id)
    await audit_read(conn, principal, access, "assessment", [r["id"] for r in rows] or [case_id])
    return [_read(access, r) for r in rows]


@router.get("/v1/cases/{case_id}/assessments/{assessment_id}", response_model=AssessmentRead,
            summary="One assessment version")
async def read_assessment(case_id: UUID, assessment_id: UUID, conn: Conn, principal: CaseReader,
                          rules: Rules) -> AssessmentRead:
    access = await case_access(conn, principal, case_id, rules)
    _readable(access)
    row = await store.get(conn, case_id, assessment_id)
    if row is None:
        raise NotFound("no such assessment on this case")
    await audit_read(conn, principal, access, "assessment", [assessment_id])
    return _read(access, row)
