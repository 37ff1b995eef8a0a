"""Checks that what went onto Kafka holds no personal data."""

from __future__ import annotations

import json
from collections.abc import Iterable

from aiokafka import ConsumerRecord

# Payload keys that would mean personal data left its service.
FORBIDDEN_KEYS = {
    "name", "family_name", "given_name", "kana", "name_kana", "address", "street", "phone",
    "phone_number", "email", "birth_date", "date_of_birth", "summary", "notes", "note",
    "free_text", "diagnosis", "minutes", "wishes", "my_number",
}


def _keys(value: object) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v)


def assert_no_personal_data(records: Iterable[ConsumerRecord], known_values: Iterable[str] = ()) -> int:
    """Fail if any record's payload has a personal-data key, or if any of ``known_values``
    (the names, kana, phones, addresses, birth dates and texts the test sent) appears in a
    record's value, key or headers. Returns how many records were checked."""
    values = [v for v in known_values if v]
    checked = 0
    for record in records:
        checked += 1
        payload = json.loads(record.value)
        leaked_keys = FORBIDDEN_KEYS.intersection(_keys(payload))
        assert not leaked_keys, f"{record.topic}@{record.offset} carries {sorted(leaked_keys)}"
        raw = record.value.decode("utf-8") + (record.key or b"").decode("utf-8", "replace")
        raw += "".join(v.decode("utf-8", "replace") for _, v in record.headers)
        decoded = json.dumps(payload, ensure_ascii=False)
        for value in values:
            assert value not in raw and value not in decoded, (
                f"{record.topic}@{record.offset} contains a personal value the test sent"
            )
    return checked
