"""Which rows the relay may mark published after a partial failure (pure logic)."""

from __future__ import annotations

from kasane_shared.events.relay import published_prefix

SEQS = [10, 11, 12, 13, 14, 15]


def test_everything_delivered() -> None:
    assert published_prefix(SEQS, [(10, False), (11, False)], None) == (SEQS, None)


def test_a_failed_batch_holds_back_every_later_row_in_any_partition() -> None:
    # partition A's batch starts at 10 and succeeded; partition B's batch starts at 12 and failed
    assert published_prefix(SEQS, [(10, False), (12, True)], None) == ([10, 11], 12)


def test_the_earliest_failure_wins() -> None:
    assert published_prefix(SEQS, [(13, True), (11, True), (10, False)], None) == ([10], 11)


def test_rows_never_handed_over_count_as_failed() -> None:
    assert published_prefix(SEQS, [(10, False)], 14) == ([10, 11, 12, 13], 14)
    assert published_prefix(SEQS, [(12, True)], 14) == ([10, 11], 12)
