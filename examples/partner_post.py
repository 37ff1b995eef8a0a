"""A partner system posting a consultation to Kasane over HTTP: the pattern to copy.

    TOKEN=$(.local/venv/bin/kasane-token mint --agency sk-houkatsu-kita --scope consultations:write)
    python examples/partner_post.py --token "$TOKEN" --external-id HK-2026-0001

* Authenticate with your agency's bearer token (scope ``consultations:write``).
* Send your own id as ``external_id`` and a fresh ``Idempotency-Key`` per consultation,
  and keep both for retries: after a timeout or a 5xx, send the SAME request with the
  SAME key. Kasane answers with the first result (``Idempotent-Replayed: true``), never a
  second consultation.
* A 4xx is not retried: the body is problem+json (RFC 9457) and ``errors[].field`` names
  each bad field. Fix the data, then send it as a new request.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from typing import Any

import httpx

RETRYABLE = {429, 502, 503, 504}


def post_consultation(
    base_url: str, token: str, body: dict[str, Any], *, idempotency_key: str, attempts: int = 5
) -> httpx.Response:
    """POST with retries on network errors and 5xx/429, always with the same key."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key}
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            response = httpx.post(f"{base_url}/v1/consultations", json=body, headers=headers, timeout=10)
        except httpx.TransportError:
            response = None  # the request may or may not have arrived: the key makes a retry safe
        if response is not None and response.status_code not in RETRYABLE and response.status_code < 500:
            return response
        if attempt == attempts:
            if response is None:
                raise RuntimeError("Kasane unreachable; retry later with the same Idempotency-Key")
            return response
        time.sleep(delay)
        delay = min(delay * 2, 8)
    raise AssertionError("unreachable")


def example_body(external_id: str) -> dict[str, Any]:
    """A consultation about an 8050 household (generated, fictional people)."""
    return {
        "external_id": external_id,
        "channel": "home_visit",
        "consulted_by": "family",
        "summary": "母の介護について相談。同居の長男は長くひきこもっている。",
        "concern_codes": ["elderly_care"],
        "area_code": "SK-N-01",
        "members": [
            {"person": {"family_name": "架空", "given_name": "花子", "family_name_kana": "カクウ",
                        "given_name_kana": "ハナコ", "birth_date": "1944-05-01"},
             "relationship": "head", "lives_together": True, "subject": True,
             "concern_codes": ["elderly_care"]},
            {"person": {"family_name": "架空", "given_name": "一郎", "family_name_kana": "カクウ",
                        "given_name_kana": "イチロウ", "age_estimate": 52},
             "relationship": "child", "lives_together": True, "concern_codes": ["withdrawal"],
             "withdrawn_years": 10},
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8001")
    parser.add_argument("--token", required=True)
    parser.add_argument("--external-id", default=f"EX-{uuid.uuid4().hex[:12]}")
    parser.add_argument("--idempotency-key", default=None, help="default: a new UUID (keep it for retries)")
    args = parser.parse_args()
    key = args.idempotency_key or str(uuid.uuid4())
    response = post_consultation(args.base_url, args.token, example_body(args.external_id), idempotency_key=key)
    if response.status_code >= 400:
        problem = response.json()
        print(json.dumps({"status": response.status_code, "title": problem.get("title"),
                          "fields": [e.get("field") for e in problem.get("errors", [])]}, ensure_ascii=False))
        sys.exit(1)
    consultation = response.json()
    print(json.dumps({
        "status": response.status_code,
        "replayed": response.headers.get("Idempotent-Replayed") == "true",
        "consultation_id": consultation["id"],
        "household_id": consultation.get("household_id"),
        "recommendation": (consultation.get("screening") or {}).get("recommendation"),
        "idempotency_key": key,
    }))


if __name__ == "__main__":
    main()
