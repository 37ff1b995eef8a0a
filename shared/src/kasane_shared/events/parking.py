"""Which outbox row a failed send is about, and whether the broker refused it for good.

An outage (no broker, no leader, a timeout) fails every row alike and ends by itself, so
it is retried for ever and never parks anything: parking on it would set aside the whole
backlog. A *refusal* is about the row itself (too large for the topic, an invalid
record): retrying cannot help, so after ``relay_park_after`` refusals of one row the relay
parks it. A refused batch of several rows does not say which row is at fault; the relay
then sends one row per batch until a round passes without a refusal, and only a row
refused on its own is charged.

Pure functions, so the blame logic is tested without Kafka.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.errors import (
    InvalidTimestampError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)

# Broker (and client) answers about one record batch's content, never about the cluster.
REFUSALS: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,  # 10: larger than the topic's max.message.bytes
    RecordTooLargeError,  # the client's own check
    RecordListTooLargeError,  # 18: larger than a log segment
    InvalidTimestampError,  # 32
)


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` refuses the rows sent rather than reporting an outage."""
    return isinstance(error, REFUSALS)


@dataclass(frozen=True)
class Failure:
    """The lowest seq that did not reach Kafka, why, and whether it was sent alone."""

    seq: int
    error: BaseException
    alone: bool  # the failed unit held this row only, so the error is about this row


@dataclass(frozen=True)
class Settled:
    """What one round achieved: the seqs to mark published and its first failure."""

    marked: list[int]
    failure: Failure | None

    @property
    def culprit(self) -> int | None:
        """The row certainly refused (charged a refusal), if any."""
        f = self.failure
        return f.seq if f is not None and f.alone and is_refusal(f.error) else None

    @property
    def refused(self) -> bool:
        """A refusal happened: the next round sends one row per batch to find its row."""
        return self.failure is not None and is_refusal(self.failure.error)


def settle(
    seqs: Sequence[int],
    batches: Sequence[tuple[Sequence[int], BaseException | None]],
    unsent: Failure | None,
) -> Settled:
    """Mark the rows before the first failure, whichever batch or partition it was in
    (nothing overtakes a failure); ``batches`` are each batch's seqs and its error or
    None, ``unsent`` the first row never handed to the producer."""
    failures = [Failure(batch[0], error, len(batch) == 1) for batch, error in batches if error is not None]
    if unsent is not None:
        failures.append(unsent)
    first = min(failures, key=lambda f: f.seq, default=None)
    return Settled([s for s in seqs if first is None or s < first.seq], first)


def key_hash(aggregate_id: str) -> str:
    """A short stable digest of a key for log lines: rows of one key share it, and the
    key itself stays out of logs."""
    return hashlib.sha256(aggregate_id.encode()).hexdigest()[:12]
