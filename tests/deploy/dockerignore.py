"""`.dockerignore` matching as Docker's builder does it (moby/patternmatcher): patterns in
order, the last one that matches a path or one of its parent directories decides, `!`
re-includes, `*` and `?` stay within a path segment, `**` spans any number of them."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    exclusion: bool


def _compile(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
            continue
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(ch, re.escape(ch))
        i += 1
    return re.compile(f"^{out}$")


def load(path: Path) -> list[Pattern]:
    patterns = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        line = posixpath.normpath(line.removeprefix("!").strip()).lstrip("/")
        patterns.append(Pattern(_compile(line), exclusion))
    return patterns


def ignored(patterns: list[Pattern], path: str) -> bool:
    """Whether ``path`` (relative to the context, with /) is left out of the build context."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for pattern in patterns:
        if any(pattern.regex.match(c) for c in candidates):
            result = not pattern.exclusion
    return result
