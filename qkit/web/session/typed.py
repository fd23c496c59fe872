"""What a person types into the form, as document data: numbers, years and names as people write them."""

from __future__ import annotations

import math

from ...paths import as_year


# what a Chinese keyboard types in full width (９２．８％, －３) read as the ASCII it stands for
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def parse_number(text: str) -> float | int | str | None:
    """A typed number as data: 92.8, 1,234.5, ９２．８ and 92.8% (a share typed with its sign) all read;
    text that is not a number is kept as typed so the check can name it.

    So is text that float() reads as NaN or infinity (nan, inf, Infinity, 1e999): no value in a form is one.
    """
    typed = text.strip()
    text = typed.translate(FULL_WIDTH).replace(",", "").removesuffix("%").strip()
    if not text:
        return None if not typed else typed
    try:
        number = float(text)
    except ValueError:
        return typed
    if not math.isfinite(number):
        return typed
    return int(number) if number.is_integer() and "." not in text else number


def parse_integer(text: str) -> int | str | None:
    value = parse_number(text)
    return value if not isinstance(value, float) else text.strip()


def parse_year(text: str) -> int | str:
    """A typed year as the document check reads one (2025, 2025年); anything else is kept as typed, to be named."""
    text = str(text).strip()
    year = as_year(text)
    return text if year is None else year


def parse_names(text: str) -> list[str]:
    """Names typed in one line, separated the ways people separate them."""
    for sep in "，、;；":
        text = text.replace(sep, ",")
    return [name.strip() for name in text.split(",") if name.strip()]
