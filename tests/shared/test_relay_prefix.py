"""Which rows the relay may mark published after a partial failure, and which row a
refusal is about (pure logic: kasane_shared.events.parking)."""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError, RecordTooLargeError
from kasane_shared.events.parking import Failure, is_refusal, key_hash, settle

SEQS = [10, 11, 12, 13, 14, 15]
DOWN = KafkaConnectionError("no broker")
TOO_LARGE = MessageSizeTooLargeError()


def test_everything_delivered() -> None:
    done = settle(SEQS, [([10, 12], None), ([11, 13, 14, 15], None)], None)
    assert (done.marked, done.failure, done.culprit, done.refused) == (SEQS, None, None, False)


def test_a_failed_batch_holds_back_every_later_row_in_any_partition() -> None:
    # partition A's batch starts at 10 and succeeded; partition B's batch starts at 12 and failed
    done = settle(SEQS, [([10, 11, 13], None), ([12, 14], DOWN)], None)
    assert done.marked == [10, 11]
    assert done.failure is not None and done.failure.seq == 12


def test_the_earliest_failure_wins() -> None:
    done = settle(SEQS, [([13], TOO_LARGE), ([11, 14], DOWN), ([10, 12], None)], None)
    assert done.marked == [10]
    assert done.failure is not None and done.failure.error is DOWN
    assert done.culprit is None and not done.refused  # an outage is nobody's fault


def test_rows_never_handed_over_count_as_failed() -> None:
    assert settle(SEQS, [([10, 11, 12, 13], None)], Failure(14, DOWN, alone=False)).marked == [10, 11, 12, 13]
    assert settle(SEQS, [([12], DOWN)], Failure(14, DOWN, alone=False)).marked == [10, 11]


def test_a_row_refused_alone_is_the_culprit() -> None:
    done = settle(SEQS, [([10], None), ([11], None), ([12], TOO_LARGE), ([13], DOWN)], None)
    assert done.marked == [10, 11]
    assert done.culprit == 12 and done.refused


def test_a_refused_batch_of_several_rows_blames_nobody_and_asks_for_single_rows() -> None:
    done = settle(SEQS, [([10, 11], None), ([12, 13, 14], TOO_LARGE)], None)
    assert done.marked == [10, 11]
    assert done.culprit is None and done.refused


def test_a_row_larger_than_a_batch_is_the_culprit_and_earlier_rows_still_go() -> None:
    done = settle(SEQS, [([10, 12], None), ([11], None)], Failure(13, RecordTooLargeError("x"), alone=True))
    assert done.marked == [10, 11, 12]
    assert done.culprit == 13


def test_refusals_are_about_the_rows_and_outages_are_not() -> None:
    assert is_refusal(TOO_LARGE) and is_refusal(RecordTooLargeError("x"))
    assert not is_refusal(DOWN) and not is_refusal(OSError("reset"))


def test_a_key_hash_is_stable_and_does_not_contain_the_key() -> None:
    key = "5f2b7f5e-1d1c-4a57-9a43-3d0c1e9f0a11"
    assert key_hash(key) == key_hash(key) != key_hash(key + "x")
    assert key not in key_hash(key) and len(key_hash(key)) == 12
