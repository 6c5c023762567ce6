"""The words of a search box, as a list the engines can match safely."""

from __future__ import annotations

import re
import unicodedata

#: How many words of a query are kept: more only slows the engines and rarely helps.
MAX_TERMS = 8
#: Shorter words (a, I, 5) match nearly every document and say nothing about relevance.
MIN_LENGTH = 2

#: PostgreSQL's English stop words (tsearch_data/english.stop). The 'english' configuration
#: drops them from documents and queries; SQLite's tokenizer keeps them, so leaving them out
#: here is what stops "the" or "and" from matching every document on either engine.
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under
    again further then once here there when where why how all any both each few more most
    other some such no nor not only own same so than too very s t can will just don should now
    """.split()  # noqa: SIM905 - laid out as prose, the list is easier to check by eye
)

#: A word as SQLite's unicode61 tokenizer sees one: letters and digits; everything else
#: (quotes, brackets, *, -, ^, :, underscores) separates words and never reaches the engine.
_WORD = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[str]:
    """The distinct words worth searching for, lower-cased, in the order typed."""
    terms: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if len(word) >= MIN_LENGTH and word not in STOP_WORDS and word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]
