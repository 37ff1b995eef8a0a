"""Person matching (名寄せ候補): pure logic, no I/O.

A newly reported person may already be known, to this desk or another. Kana and
addresses are written many ways (half-width ﾔﾏﾀﾞ, hiragana やまだ, small kana, ヴ/ブ,
long vowels ー/ウ, full-width digits, 丁目・番地・号 or hyphens), so both are normalised
with jaconv and unicodedata before comparing. Two rules propose a match:

* ``same_kana_birth_date``: the same normalised kana and the same birth date;
* ``same_address_similar_kana``: the same normalised address and similar kana (a ratio of
  at least ``SIMILAR_KANA``), unless both birth dates are known and differ.

A match is only proposed; staff merge explicitly (and can undo it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

import jaconv

SIMILAR_KANA = 0.8
SAME_KANA_BIRTH_DATE = "same_kana_birth_date"
SAME_ADDRESS_SIMILAR_KANA = "same_address_similar_kana"

# Old and rare kana written either way.
_KANA_VARIANTS = str.maketrans({"ヂ": "ジ", "ヅ": "ズ", "ヴ": "ブ", "ヲ": "オ", "ヰ": "イ", "ヱ": "エ"})
_DROP = re.compile(r"[\s・･.,，、。\-‐]")
_DASHES = re.compile(r"[‐‑‒–—―−－ｰ\-]")
_ADDRESS_UNITS = re.compile(r"(丁目|番地の|番地|番|号|の)")
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_KANA_RE = re.compile(r"^[ァ-ヺー]*$")


def _vowel(kana: str) -> str | None:
    roman = jaconv.kata2alphabet(kana)
    if roman and roman[-1] in "aiueo":
        return roman[-1]
    return None


_VOWEL_KANA = {"a": "ア", "i": "イ", "u": "ウ", "e": "エ", "o": "オ"}


def normalise_kana(text: str | None) -> str | None:
    """One spelling for kana: katakana, full width, large kana, no spaces, long vowels
    spelled out (ヨーコ, ヨウコ and ﾖｳｺ all become ヨオコ)."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text)  # ﾔﾏﾀﾞ -> ヤマダ, full-width ASCII -> ASCII
    t = jaconv.hira2kata(t)
    t = jaconv.enlarge_smallkana(t)
    t = t.translate(_KANA_VARIANTS)
    t = _DROP.sub("", t)
    out: list[str] = []
    for ch in t:
        previous = _vowel(out[-1]) if out else None
        if ch == "ー" and previous:
            ch = _VOWEL_KANA[previous]
        elif ch == "ウ" and previous == "o":
            ch = "オ"  # おう / おお / おー
        elif ch == "イ" and previous == "e":
            ch = "エ"  # えい / ええ / えー
        out.append(ch)
    return "".join(out) or None


def is_kana(text: str) -> bool:
    """Whether ``text`` is kana (either script, either width) with spaces or middle dots."""
    t = unicodedata.normalize("NFKC", text)
    t = jaconv.hira2kata(t)
    return bool(_KANA_RE.match(_DROP.sub("", t)))


def full_kana(family: str | None, given: str | None) -> str | None:
    """The normalised kana of a whole name."""
    return normalise_kana("".join(p for p in (family, given) if p)) if (family or given) else None


def normalise_address(municipality: str | None, street: str | None) -> str | None:
    """One spelling for an address: NFKC, no spaces, 丁目/番地/号 and dashes as ``-``,
    kanji digits before units as digits. None without a street."""
    if not street:
        return None
    t = unicodedata.normalize("NFKC", f"{municipality or ''}{street}")
    t = re.sub(r"\s", "", t)
    t = re.sub(r"([〇一二三四五六七八九]+)(?=丁目)", lambda m: m.group(1).translate(_KANJI_DIGITS), t)
    t = _ADDRESS_UNITS.sub("-", t)
    t = re.sub(r"(?<=[0-9])ー(?=[0-9])", "-", t)
    t = _DASHES.sub("-", t)
    t = re.sub(r"-+", "-", t).strip("-")
    return t or None


def kana_similarity(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


@dataclass(frozen=True)
class Identity:
    """The fields matching compares (already normalised)."""

    kana_key: str | None
    birth_date: date | None
    address_key: str | None


def match_reasons(new: Identity, existing: Identity) -> list[str]:
    """Why ``existing`` may be the same person as ``new`` (empty: no proposal)."""
    reasons = []
    if new.kana_key and new.kana_key == existing.kana_key and new.birth_date and new.birth_date == existing.birth_date:
        reasons.append(SAME_KANA_BIRTH_DATE)
    if (new.address_key and new.address_key == existing.address_key
            and kana_similarity(new.kana_key, existing.kana_key) >= SIMILAR_KANA
            and not (new.birth_date and existing.birth_date and new.birth_date != existing.birth_date)):
        reasons.append(SAME_ADDRESS_SIMILAR_KANA)
    return reasons
