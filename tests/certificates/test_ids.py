"""Certificate ids: unguessable, readable, and a typo never finds another certificate."""

import re

import pytest

from lms.certificates.ids import ALPHABET, new_public_id, normalise_public_id
from tests.certificates.conftest import issue

ID_FORMAT = re.compile(r"^CC(-[0-9A-HJKMNP-TV-Z]{4}){5}$")


def _chars(public_id: str) -> list[str]:
    return list(public_id.replace("CC-", "", 1).replace("-", ""))


def _join(chars: list[str]) -> str:
    return "CC-" + "-".join("".join(chars[i : i + 4]) for i in range(0, 20, 4))


def test_ids_have_the_documented_format_and_at_least_80_random_bits():
    ids = {new_public_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(ID_FORMAT.match(public_id) for public_id in ids)
    # 19 random characters of 32 symbols: 95 bits; every position takes many values.
    for position in range(19):
        assert len({_chars(public_id)[position] for public_id in ids}) == 32
    assert all(normalise_public_id(public_id) == public_id for public_id in ids)


@pytest.mark.parametrize("sample", range(20))
def test_every_single_character_typo_fails_the_check(sample):
    chars = _chars(new_public_id())
    for position in range(20):
        for replacement in ALPHABET:
            if replacement == chars[position]:
                continue
            typo = chars.copy()
            typo[position] = replacement
            assert normalise_public_id(_join(typo)) is None, (position, replacement)


@pytest.mark.parametrize("sample", range(20))
def test_every_swap_of_neighbours_fails_the_check(sample):
    chars = _chars(new_public_id())
    for position in range(19):
        if chars[position] == chars[position + 1]:
            continue
        swapped = chars.copy()
        swapped[position], swapped[position + 1] = swapped[position + 1], swapped[position]
        assert normalise_public_id(_join(swapped)) is None, position


def test_case_spaces_dashes_prefix_and_look_alikes_do_not_matter():
    public_id = "CC-" + "-".join(["7F3K", "ZT2M", "9XHV", "P6RA", "0001"])
    body = _chars(public_id)[:19]
    from lms.certificates.ids import check_character

    valid = _join([*body, check_character("".join(body))])
    plain = valid.replace("-", "")
    for typed in (
        valid.lower(),
        plain,
        plain[2:],
        " ".join(plain[i : i + 4] for i in range(0, len(plain), 4)),
        f"  {valid}\n",
        valid.replace("0", "O").replace("1", "l"),
    ):
        assert normalise_public_id(typed) == valid, typed


@pytest.mark.parametrize(
    "text", ["", "CC-", "hello", "CC-U000-0000-0000-0000-0000", "x" * 500, "CC-7F3K-ZT2M", None]
)
def test_nonsense_is_not_an_id(text):
    assert normalise_public_id(text) is None


def test_lookup_finds_a_certificate_however_its_id_is_typed(imported):
    from lms.certificates.verification import lookup

    certificate = issue()
    public_id = certificate.public_id
    assert lookup(public_id.lower()) is certificate
    assert lookup(public_id.replace("-", " ")) is certificate
    assert lookup(public_id.replace("-", "")[2:]) is certificate
    chars = _chars(public_id)
    chars[5] = next(c for c in ALPHABET if c != chars[5])
    assert lookup(_join(chars)) is None
