"""The shortcuts that make rendering fast give exactly what the general tools they replace give:
links against `posixpath.relpath`, front matter against PyYAML's emitter, the code-span scan
against its character-by-character form, the join filter against Jinja's own, the removal of
control characters against a regular expression."""

from __future__ import annotations

import itertools
import posixpath
import random
import re
from pathlib import Path

import pytest
import yaml

from tide.render.links import relative
from tide.render.pages import _plain, _single_quoted, _yaml_front_matter, front_matter
from tide.render.safety import _code_spans, _without_controls

TEMPLATES_DIR = Path(__file__).parents[1] / "templates"
PATHS = ["index.md", "techniques.md", "threat-vectors/a.md", "threat-vectors/b-2.md", "techniques/t1562-008.md",
         "platforms/aws.md", "a/b/c.md", "a/b/d.md", "a/e.md", "a.md", "threat-vectors.md", "x/threat-vectors.md"]


@pytest.mark.parametrize(("here", "there"), list(itertools.product(PATHS, PATHS)))
def test_relative_links_are_what_relpath_gives(here: str, there: str) -> None:
    assert relative(here, there) == posixpath.relpath(there, posixpath.dirname(here) or ".")


# Characters that matter to YAML somewhere (indicators, quotes, spaces, line breaks, BOM, controls,
# non-ASCII) next to ordinary ones, so that random strings hit every branch of the emitter.
ALPHABET = [*"aZ09 .-_:#,?[]{}&*!|>'\"%@`~=<(/)+\\\t\n", "é", "😀", "\u2028", "\ufeff", "\x85", "\xa0", "\x07"]
ORDINARY = [*"aZy09 .-(/)',&+", "é", "😀"]
WORDS = ["yes", "No", "null", "~", "1.5", "1e3", "0x1f", "2020-01-01", "12:30", ".inf", "<<", "=", "on", "T1562.008"]


def samples(count: int) -> list[str]:
    rng = random.Random(20261128)
    out = [*WORDS, "", " ", "AWS Stop Logging CloudTrail (3)", "Impair Defenses: Disable", "it's", "a  b",
           "x" * 20_000]
    for _ in range(count):
        size = rng.randint(1, 12)
        chars = ALPHABET if rng.random() < 0.5 else ORDINARY
        text = "".join(rng.choice(chars) for _ in range(size))
        if rng.random() < 0.3:
            text = rng.choice(WORDS) + text if rng.random() < 0.5 else text + rng.choice(WORDS)
        out.append(text)
    return out


def test_front_matter_is_byte_identical_to_pyyaml() -> None:
    plain = quoted = 0
    texts = samples(4_000)
    # Titles with ": " (technique pages), around every sample and with quotes, blanks, breaks.
    texts += [f"{a}: {b}" for a, b in zip(texts[::2], texts[1::2], strict=False)]
    texts += ["T1562.008 Impair Defenses: Disable or Modify Cloud Logs", ": a", "a: ", " a: b ", "it's: 'x'",
              "a: b\u2028c", "a: b\x85c", "a:\tb", "a: #b", "- a: b", "é: 😀", "a: b\ufeff", "a" * 10_000 + ": b"]
    for text in texts:
        for values in ({"uuid": "9e5c0ab4-1b8e-4c3c-a1c4-7f0b0b0e0f0f", "title": text},
                       {"uuid": "u", "title": "t", "tags": ["Execution", text]}):
            assert front_matter(values) == _yaml_front_matter(values), repr(text)
        plain += _plain(text)
        quoted += _single_quoted(text)
    assert plain > 800 and quoted > 800  # the shortcuts are really taken, not only the fallback


def test_front_matter_falls_back_for_what_it_does_not_know() -> None:
    for values in ({"uuid": "u", "title": "t", "tags": []}, {"uuid": "u", "version": 3}, {"title": "a: b"}):
        assert front_matter(values) == _yaml_front_matter(values)
    assert yaml.safe_load(front_matter({"title": "yes"}).strip("-\n")) == {"title": "yes"}


def code_spans_by_character(text: str) -> list[tuple[int, int]]:
    """The code-span scan as first written, one character at a time: the reference."""
    spans, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] != "`":
            i += 1
            continue
        end = i
        while end < len(text) and text[end] == "`":
            end += 1
        width, closer = end - i, None
        for run in re.finditer(r"`+", text[end:]):
            if len(run.group(0)) == width:
                closer = end + run.end()
                break
        if closer is None:
            i = end
            continue
        spans.append((i, closer))
        i = closer
    return spans


def test_code_spans_are_found_as_by_the_character_scan() -> None:
    rng = random.Random(7)
    for _ in range(5_000):
        text = "".join(rng.choice("a `\\\n") for _ in range(rng.randint(0, 24)))
        assert list(_code_spans(text)) == code_spans_by_character(text), repr(text)


def test_controls_are_removed_as_by_the_regular_expression() -> None:
    # Every character of the Basic Multilingual Plane (lone surrogates included) and some beyond,
    # alone and among others: UTF-8 bytes of other characters never hold a control's byte.
    controls = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
    everything = "".join(map(chr, range(0x10000))) + "\U0001f600\U0010ffff\U00020000"
    assert _without_controls(everything) == controls.sub("", everything)
    for char in everything[::97]:
        text = f"a{char}\x00b\t\n{char}\x7f"
        assert _without_controls(text) == controls.sub("", text)


@pytest.mark.parametrize("source", [
    "{{ ['a', 'b|c', ''] | join(' | ') }}", "{{ [] | join(',') }}", "{{ ['x'] | join }}",
    "{{ [1, 'a', none] | join(', ') }}", "{{ ('t', 'u') | join('-') }}", "{{ 'abc' | join('.') }}",
    "{{ [{'n': 'a'}, {'n': 'b'}] | join(', ', attribute='n') }}", "{{ [['a'], 'b'] | join }}",
])
def test_the_join_filter_gives_what_jinja_s_own_gives(source: str) -> None:
    import jinja2

    from tide.render.pages import environment

    ours = environment(TEMPLATES_DIR).from_string(source).render()
    assert ours == jinja2.Environment(autoescape=False).from_string(source).render()
