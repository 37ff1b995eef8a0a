"""An integrator subscribing to a Kasane topic: the pattern to copy.

    python examples/subscribe.py --topic kasane.coordination.v1 --group my-dashboard

* Join a consumer group of your own (never a Kasane service's group).
* Records of one aggregate (the key: a case, a consultation, ...) arrive in order within
  their partition; across keys there is no order.
* Delivery is at least once: a record can come again after a rebalance or a relay
  restart. Deduplicate on (ce_source, ce_id) in the same transaction as your own write,
  and commit the offset only after that write (here: SQLite).
* Unknown ce_type values are newer facts you may ignore; a breaking change arrives as a
  new type ending in .v2 beside the old one.
* Events carry ids and codes only; to see a person's details, call the owning service's
  API with your own token, where consent and your agency's relationship are checked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat


def open_store(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS seen (source TEXT, id TEXT, PRIMARY KEY (source, id))")
    db.execute("CREATE TABLE IF NOT EXISTS facts (type TEXT, subject TEXT, time TEXT, data TEXT)")
    return db


def apply(db: sqlite3.Connection, headers: dict[str, bytes], key: bytes | None, value: bytes) -> bool:
    """Apply one record exactly once; False when it was a repeat."""
    event = from_binary(KafkaMessage(headers=headers, key=key, value=value), JSONFormat())
    with db:  # one transaction: the dedup claim and the write commit together
        claimed = db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)",
                             (event.get_source(), event.get_id())).rowcount
        if not claimed:
            return False
        db.execute("INSERT INTO facts VALUES (?, ?, ?, ?)",
                   (event.get_type(), event.get_subject(), event.get_time().isoformat(),
                    json.dumps(event.get_data(), ensure_ascii=False)))
    return True


async def subscribe(
    bootstrap: str, topic: str, group: str, store: Path, limit: int | None, idle_exit: float | None = None
) -> int:
    """Consume ``topic`` until ``limit`` new events were applied, or nothing came for
    ``idle_exit`` seconds (or forever); return the count of new events applied."""
    db = open_store(store)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    applied = 0
    loop = asyncio.get_running_loop()
    last_record = loop.time()
    try:
        while limit is None or applied < limit:
            batch = await consumer.getmany(timeout_ms=1000)
            if batch:
                last_record = loop.time()
            elif idle_exit is not None and loop.time() - last_record > idle_exit:
                break
            for tp, records in batch.items():
                for r in records:
                    if apply(db, dict(r.headers), r.key, r.value):
                        applied += 1
                        print(json.dumps({"type": dict(r.headers)["ce_type"].decode(), "key": r.key.decode()}))
                    await consumer.commit({tp: r.offset + 1})  # after the write, never before
    finally:
        await consumer.stop()
        db.close()
    return applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--topic", default="kasane.coordination.v1")
    parser.add_argument("--group", default="example-integrator")
    parser.add_argument("--store", type=Path, default=Path("integrator.sqlite3"))
    parser.add_argument("--limit", type=int, default=None, help="stop after this many new events")
    parser.add_argument("--idle-exit", type=float, default=None, help="stop after this many quiet seconds")
    args = parser.parse_args()
    applied = asyncio.run(subscribe(args.bootstrap_servers, args.topic, args.group, args.store, args.limit,
                                    args.idle_exit))
    print(json.dumps({"applied": applied}))


if __name__ == "__main__":
    main()
