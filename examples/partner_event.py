"""A partner system posting a consultation as an event instead of HTTP.

    python examples/partner_event.py --source urn:kasane:agency:sk-houkatsu-kita --external-id HK-2026-0002

* Produce to ``kasane.partner.consultations.v1`` in CloudEvents binary mode: ``ce_*``
  headers, a JSON value, your external id as the key, ``ce_source`` = your agency's
  ``event_source`` in the municipality profile (``urn:kasane:agency:<id>`` by default).
* Use an idempotent producer with acks=all; re-sending the same external id is safe:
  Kasane applies it once, and a POST with the same external id is the same consultation.
* No personal data on Kafka: say that a consultation happened (channel, who consulted,
  concern codes, area, age band); names, contacts and the summary go over HTTP, where
  they are authorised and audited. An event with other fields is refused to Kasane's
  dead-letter topic (``kasane-intake.dlt``), with the reason in ``kasane_dlt_error``.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from cloudevents.core.bindings.kafka import to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

TOPIC = "kasane.partner.consultations.v1"
TYPE = "kasane.partner.consultation.submitted.v1"


async def submit(bootstrap: str, source: str, external_id: str, *, topic: str = TOPIC) -> str:
    """Produce one consultation event; return its ce_id."""
    event = CloudEvent(
        {"id": str(uuid.uuid4()), "source": source, "type": TYPE, "time": datetime.now(UTC),
         "datacontenttype": "application/json", "subject": f"consultation/{external_id}"},
        {"external_id": external_id, "received_at": datetime.now(UTC).isoformat(),
         "channel": "phone", "consulted_by": "neighbour", "concern_codes": ["isolation", "dementia"],
         "area_code": "SK-N-02", "age_band": "80-84"},
    )
    message = to_binary(event, JSONFormat(), key_mapper=lambda _e: external_id)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value=message.value, key=external_id.encode(),
                                     headers=list(message.headers.items()))
    finally:
        await producer.stop()
    return event.get_id()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--source", default="urn:kasane:agency:sk-houkatsu-kita")
    parser.add_argument("--external-id", default=f"EV-{uuid.uuid4().hex[:12]}")
    parser.add_argument("--topic", default=TOPIC)
    args = parser.parse_args()
    ce_id = asyncio.run(submit(args.bootstrap_servers, args.source, args.external_id, topic=args.topic))
    print(f"sent {TYPE} {ce_id} for external id {args.external_id}")


if __name__ == "__main__":
    main()
