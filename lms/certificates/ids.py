"""Certificate ids, e.g. `CC-7F3K-ZT2M-9XHV-P6RA-Q1B8`: easy to read out, hard to guess.

The 20 characters after `CC-` are Crockford base32 (`0-9 A-Z` without `I L O U`): 19 random
characters (95 bits) and one check character. The check character makes the weighted sum
`sum(a**k * c_k)` of all 20 values zero in the field GF(32) (polynomial x^5 + x^2 + 1, a = x,
weights falling from a**19 for the first character to 1 for the check character). Because
every weight is non-zero and a != 1, every single wrong character and every swap of two
adjacent (or once-removed) characters changes the sum, so such a typo never finds another
certificate; it stays inside the alphabet, so ids need no `*~$=` symbols.

Lookups ignore case, spaces and dashes, accept the id with or without `CC`, and read the
look-alikes `O` as 0 and `I`, `L` as 1, as Crockford's decoding does.
"""

from __future__ import annotations

import functools
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "CC"
RANDOM_CHARS = 19
LENGTH = RANDOM_CHARS + 1
GROUP = 4
#: Longest text worth normalising: a pasted id with generous spacing.
MAX_INPUT = 80

_VALUES = {char: value for value, char in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_POLYNOMIAL = 0b100101  # x^5 + x^2 + 1, primitive over GF(2)


def _times_a(value: int) -> int:
    """Multiply by `a` (= x) in GF(32)."""
    value <<= 1
    return value ^ _POLYNOMIAL if value & 0b100000 else value


def _fold(values: list[int]) -> int:
    """Horner's rule for sum(a**k * v_k) in GF(32); addition there is XOR."""
    total = 0
    for value in values:
        total = _times_a(total) ^ value
    return total


def check_character(body: str) -> str:
    """The character that completes the 19 random characters of `body`."""
    return ALPHABET[_times_a(_fold([_VALUES[char] for char in body]))]


def format_id(chars: str) -> str:
    """`CC-` and the 20 characters in groups of four."""
    groups = [chars[i : i + GROUP] for i in range(0, len(chars), GROUP)]
    return "-".join([PREFIX, *groups])


def new_public_id() -> str:
    """A fresh random id with its check character."""
    # 32 letters divide 256, so the low five bits of a random byte pick one uniformly.
    body = "".join(ALPHABET[byte & 31] for byte in secrets.token_bytes(RANDOM_CHARS))
    return format_id(body + check_character(body))


@functools.lru_cache(maxsize=4096)
def normalise_public_id(text: str | None) -> str | None:
    """The canonical form of a typed or pasted id, or None if it cannot be one of ours.

    Kept for the ids seen last: a lookup normalises the same id up to three times (the
    route, the record query, the credential's `jti`)."""
    if not text or len(text) > MAX_INPUT:
        return None
    chars = "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
    if len(chars) == LENGTH + len(PREFIX) and chars.startswith(PREFIX):
        chars = chars[len(PREFIX) :]
    if len(chars) != LENGTH or any(char not in _VALUES for char in chars):
        return None
    if _fold([_VALUES[char] for char in chars]) != 0:
        return None
    return format_id(chars)
