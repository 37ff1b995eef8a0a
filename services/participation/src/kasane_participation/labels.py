"""Words for the codes matching explains itself with (日本語, English)."""

from __future__ import annotations

KINDS: dict[str, tuple[str, str]] = {
    "place_to_be": ("居場所", "a place to be"),
    "volunteering": ("ボランティア", "volunteering"),
    "employment_trial": ("就労体験", "an employment trial"),
    "supported_employment": ("支援付き就労", "supported employment"),
    "employment": ("就労", "employment"),
    "learning_support": ("学習支援", "learning support"),
    "residential_watch": ("見守り付き住まい", "residential support with watching-over"),
}

ACCOMMODATIONS: dict[str, tuple[str, str]] = {
    "short_hours": ("短時間", "short hours"),
    "gradual_start": ("段階的な開始", "a gradual start"),
    "no_phone_calls": ("電話なし", "no phone calls"),
    "quiet_space": ("静かな場所", "a quiet space"),
    "wheelchair_access": ("車いす対応", "wheelchair access"),
    "supporter_present": ("支援者の同席", "a supporter present"),
}

LANGUAGES: dict[str, tuple[str, str]] = {
    "ja": ("日本語", "Japanese"),
    "pt": ("ポルトガル語", "Portuguese"),
    "en": ("英語", "English"),
    "zh": ("中国語", "Chinese"),
    "vi": ("ベトナム語", "Vietnamese"),
    "tl": ("タガログ語", "Tagalog"),
    "es": ("スペイン語", "Spanish"),
    "ko": ("韓国語", "Korean"),
    "ne": ("ネパール語", "Nepali"),
}


def _pick(table: dict[str, tuple[str, str]], code: str, lang: int) -> str:
    return table[code][lang] if code in table else code


def kind(code: str, *, ja: bool = False) -> str:
    return _pick(KINDS, code, 0 if ja else 1)


def accommodation(code: str, *, ja: bool = False) -> str:
    return _pick(ACCOMMODATIONS, code, 0 if ja else 1)


def language(code: str, *, ja: bool = False) -> str:
    return _pick(LANGUAGES, code, 0 if ja else 1)


def join(words: list[str], *, ja: bool = False) -> str:
    if ja:
        return "、".join(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]
