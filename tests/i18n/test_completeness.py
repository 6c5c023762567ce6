"""Everything a reader sees is translatable, and every catalogue translates all of it."""

import re

import pytest
from jinja2 import Environment

from lms import PROJECT_ROOT
from tests.i18n.catalogues import catalogue_paths, extract_messages, read_catalogue
from tests.i18n.literals import untranslated_literals

#: Templates and catalogues only: once is enough, whatever the suite's database.
pytestmark = pytest.mark.database_independent

TEMPLATES = PROJECT_ROOT / "templates"
LANGUAGES = ("de", "fr")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%%")


def _template_files() -> list:  # type: ignore[type-arg]
    return sorted(
        path for path in TEMPLATES.rglob("*") if path.suffix in {".html", ".txt"} and path.is_file()
    )


def test_templates_have_no_text_outside_translation_calls():
    env = Environment(autoescape=True)
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{line}: {text!r}"
        for path in _template_files()
        for line, text in untranslated_literals(env, path)
    ]
    assert not found, "wrap these in {{ _('…') }}:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("source", "suffix", "expected"),
    [
        ("<p>Hello {{ name }}</p>", ".html", ["Hello …"]),
        ('<input placeholder="Your name">', ".html", ['placeholder="Your name"']),
        ('<img alt="Logo of {{ org }}" src="x">', ".html", ['alt="Logo of …"']),
        ("Hello,\n{{ _('Thanks') }}\n", ".txt", ["Hello,"]),
        ("<p>{{ _('Hello') }} · {{ n }} %</p>", ".html", []),
        ("<p>PDF · JSON · LinkedIn</p><script>var x = 'word';</script>", ".html", []),
        ('<div class="card" aria-hidden="true">{% if x %}…{% endif %}</div>', ".html", []),
        ("{# a comment with words #}<p>{{ _('ok') }}</p>", ".html", []),
    ],
)
def test_the_literal_finder_tells_wrapped_from_unwrapped_text(tmp_path, source, suffix, expected):
    path = tmp_path / f"sample{suffix}"
    path.write_text(source, encoding="utf-8")
    found = [text for _line, text in untranslated_literals(Environment(autoescape=True), path)]
    assert found == expected


@pytest.fixture(scope="module")
def messages(tmp_path_factory):  # type: ignore[no-untyped-def]
    return extract_messages(tmp_path_factory.mktemp("pot"))


def test_there_is_a_catalogue_for_each_language():
    assert sorted(catalogue_paths()) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_translates_every_message(messages, language):
    catalogue = read_catalogue(catalogue_paths()[language])
    problems = []
    for message in messages:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        translated = catalogue.get(key, context=message.context)
        if translated is None:
            problems.append(f"missing: {key!r}")
            continue
        strings = translated.string
        strings = strings if isinstance(strings, tuple) else (strings,)
        if translated.fuzzy or not all(strings):
            problems.append(f"{'fuzzy' if translated.fuzzy else 'untranslated'}: {key!r}")
            continue
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        if len(strings) < len(originals):
            problems.append(f"plural forms missing: {key!r}")
        wanted = sorted(PLACEHOLDER.findall(originals[-1]))
        if message.python_format and any(sorted(PLACEHOLDER.findall(s)) != wanted for s in strings):
            problems.append(f"placeholders differ: {key!r}")
    assert not problems, (
        f"{language}: {len(problems)} problems; run `make translations`, translate, "
        "and `make install`:\n" + "\n".join(problems)
    )
