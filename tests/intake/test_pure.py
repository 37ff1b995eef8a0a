"""Pure logic of intake: the My Number detector, kana and address matching, referral
statuses and the たらい回し flag (no servers)."""

from __future__ import annotations

from datetime import date

import pytest
from kasane_intake.mynumber import check_digit, contains_my_number, find_my_number, is_my_number
from kasane_intake.persons.matching import (
    SAME_ADDRESS_SIMILAR_KANA,
    SAME_KANA_BIRTH_DATE,
    Identity,
    full_kana,
    is_kana,
    match_reasons,
    normalise_address,
    normalise_kana,
)
from kasane_intake.referrals.statuses import (
    BOUNCED_TOO_OFTEN,
    REJECTED_BY_ALL,
    Party,
    TransitionError,
    bounce_flag,
    check_transition,
)
from kasane_shared.contracts.codes import ReferralStatus as S

VALID = "123456789018"  # the check digit of 12345678901 is 8


def test_my_number_check_digit() -> None:
    assert check_digit("12345678901") == 8
    assert is_my_number(VALID)
    assert not is_my_number("123456789012")
    assert not is_my_number("12345678901")


@pytest.mark.parametrize("text", [VALID, f"番号は{VALID}です", "1234 5678 9018", "1234-5678-9018",
                                  "１２３４５６７８９０１８", "１２３４－５６７８－９０１８"])
def test_my_number_is_found_however_written(text: str) -> None:
    assert contains_my_number(text)


@pytest.mark.parametrize("text", ["123456789012", "090-1234-5678", "0312345678", f"{VALID}3", f"9{VALID}",
                                  "2026-11-02", "1234 5678 901"])
def test_other_numbers_are_not_my_numbers(text: str) -> None:
    assert not contains_my_number(text)


def test_find_my_number_names_the_field() -> None:
    body = {"summary": "相談", "members": [{"person": {"contact_notes": "ok"}}, {"person": {"street": f"x {VALID}"}}]}
    assert find_my_number(body) == "members.1.person.street"
    assert find_my_number({"summary": "nothing here", "n": 123456789018}) is None  # numbers are not strings


@pytest.mark.parametrize("variant", ["ヤマダ ハナコ", "やまだ　はなこ", "ﾔﾏﾀﾞ ﾊﾅｺ", "ヤマダ・ハナコ"])
def test_kana_is_normalised_across_scripts_and_widths(variant: str) -> None:
    assert normalise_kana(variant) == "ヤマダハナコ"


def test_kana_variants_fold_together() -> None:
    assert normalise_kana("ヨーコ") == normalise_kana("ヨウコ") == normalise_kana("ﾖｳｺ") == normalise_kana("よおこ")
    assert normalise_kana("キョウコ") == normalise_kana("キヨオコ")  # small kana enlarged
    assert normalise_kana("ヴィクトル") == normalise_kana("ブイクトル")
    assert normalise_kana("ケイコ") == normalise_kana("ケーコ")
    assert full_kana("ヤマダ", "ハナコ") == "ヤマダハナコ"
    assert normalise_kana("") is None


def test_kana_check() -> None:
    assert is_kana("ﾔﾏﾀﾞ ﾊﾅｺ") and is_kana("やまだ・はなこ")
    assert not is_kana("山田") and not is_kana("Yamada")


def test_addresses_are_normalised() -> None:
    a = normalise_address("桜ヶ丘市", "北町３丁目１２番地５号")
    assert a == normalise_address("桜ヶ丘市", "北町3-12-5") == normalise_address("桜ヶ丘市", "北町三丁目12ー5")
    assert normalise_address("桜ヶ丘市", None) is None


def test_match_rules() -> None:
    born = date(1944, 5, 1)
    addr = normalise_address("桜ヶ丘市", "北町3-12-5")
    new = Identity(normalise_kana("やまだ はな"), born, addr)
    assert match_reasons(new, Identity("ヤマダハナ", born, None)) == [SAME_KANA_BIRTH_DATE]
    assert match_reasons(new, Identity("ヤマダハナ", date(1950, 1, 1), None)) == []
    assert match_reasons(new, Identity("ヤマダハナエ", None, addr)) == [SAME_ADDRESS_SIMILAR_KANA]
    assert match_reasons(new, Identity("ヤマダハナ", born, addr)) == [SAME_KANA_BIRTH_DATE, SAME_ADDRESS_SIMILAR_KANA]
    # same address, similar kana, but two known different birth dates: siblings, not one person
    assert match_reasons(new, Identity("ヤマダハナエ", date(1950, 1, 1), addr)) == []
    # the son at the same address is not proposed as his mother
    assert match_reasons(new, Identity("ヤマダタロオ", None, addr)) == []


def test_referral_transitions() -> None:
    check_transition(S.requested, S.accepted, parties={Party.handler})
    check_transition(S.requested, S.rejected, parties={Party.handler})
    check_transition(S.requested, S.cancelled, parties={Party.referrer})
    check_transition(S.accepted, S.completed, parties={Party.handler})
    check_transition(S.accepted, S.cancelled, parties={Party.referrer})
    with pytest.raises(TransitionError) as wrong_party:
        check_transition(S.requested, S.accepted, parties={Party.referrer})
    assert wrong_party.value.kind == "party"
    for current, wanted in [(S.requested, S.completed), (S.rejected, S.accepted), (S.completed, S.cancelled),
                            (S.cancelled, S.accepted), (S.accepted, S.rejected)]:
        with pytest.raises(TransitionError) as wrong_state:
            check_transition(current, wanted, parties={Party.handler, Party.referrer})
        assert wrong_state.value.kind == "state"


def test_bounce_flag() -> None:
    assert not bounce_flag(rejected=1, taken=1, max_bounces=2).flagged
    assert not bounce_flag(rejected=2, taken=1, max_bounces=2).flagged
    assert bounce_flag(rejected=3, taken=1, max_bounces=2).reason == BOUNCED_TOO_OFTEN
    assert bounce_flag(rejected=1, taken=0, max_bounces=2).reason == REJECTED_BY_ALL
