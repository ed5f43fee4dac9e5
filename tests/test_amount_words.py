"""Amounts in Nepali words (`i18n.amount_words`): the irregular words below a hundred, lakh and crore, paisa."""

from __future__ import annotations

import unicodedata

import pytest

from khalti_portal.billing.money import MAX_PAISA
from khalti_portal.i18n.amount_words import WORDS, number_in_words, rupees_in_words


@pytest.mark.parametrize(
    ("paisa", "words"),
    [
        (0, "शून्य रुपैयाँ"),
        (50, "पचास पैसा"),
        (1_000, "दस रुपैयाँ"),  # Rs 10, the least Khalti takes
        (49_900, "चार सय उनान्सय रुपैयाँ"),
        (129_950, "एक हजार दुई सय उनान्सय रुपैयाँ पचास पैसा"),
        (499_900, "चार हजार नौ सय उनान्सय रुपैयाँ"),  # Rs 4,999.00: whole rupees say no paisa
        (10_000_000, "एक लाख रुपैयाँ"),
        (123_456_789, "बाह्र लाख चौँतीस हजार पाँच सय सतसट्ठी रुपैयाँ उनान्नब्बे पैसा"),
        (9_999_900, "उनान्सय हजार नौ सय उनान्सय रुपैयाँ"),
        (1_000_000_000, "एक करोड रुपैयाँ"),
        (1_000_000_001, "एक करोड रुपैयाँ एक पैसा"),
        (-129_950, "एक हजार दुई सय उनान्सय रुपैयाँ पचास पैसा"),  # the sign is the document's title, not words
    ],
)
def test_rupees_and_paisa_in_nepali_words(paisa: int, words: str) -> None:
    assert rupees_in_words(paisa) == words


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "एक"),
        (10, "दस"),
        (11, "एघार"),
        (19, "उन्नाइस"),
        (20, "बीस"),
        (21, "एक्काइस"),
        (28, "अट्ठाइस"),
        (29, "उनन्तीस"),
        (39, "उनन्चालीस"),
        (45, "पैँतालीस"),
        (49, "उनन्चास"),
        (55, "पचपन्न"),
        (59, "उनन्साठी"),
        (61, "एकसट्ठी"),
        (69, "उनन्सत्तरी"),
        (79, "उनासी"),
        (80, "असी"),
        (89, "उनान्नब्बे"),
        (97, "सन्तानब्बे"),
        (99, "उनान्सय"),
    ],
)
def test_the_irregular_words_below_a_hundred(n: int, word: str) -> None:
    assert number_in_words(n) == word


def test_one_word_for_each_number_below_a_hundred_in_plain_devanagari() -> None:
    assert len(WORDS) == 100 and len(set(WORDS)) == 100  # a word lost or doubled would shift every later one
    for word in WORDS:
        # Letters and signs only: no zero-width joiner (one PyPI table hides one in ९७) or stray space.
        assert all("\u0900" <= ch <= "\u097f" for ch in word) and unicodedata.is_normalized("NFC", word), word
        assert "ठ्ठ" not in word  # the doubled ṭh is ट्ठ (अट्ठाइस, एकसट्ठी), a misspelling the packages make


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (100, "एक सय"),
        (101, "एक सय एक"),
        (1_000, "एक हजार"),
        (1_005, "एक हजार पाँच"),
        (99_999, "उनान्सय हजार नौ सय उनान्सय"),
        (1_00_000, "एक लाख"),
        (1_00_100, "एक लाख एक सय"),
        (12_34_567, "बाह्र लाख चौँतीस हजार पाँच सय सतसट्ठी"),
        (1_00_00_000, "एक करोड"),
        (99_99_99_999, "उनान्सय करोड उनान्सय लाख उनान्सय हजार नौ सय उनान्सय"),
    ],
)
def test_hundreds_thousands_lakhs_and_crores(n: int, words: str) -> None:
    assert number_in_words(n) == words


def test_every_amount_the_portal_accepts_has_words() -> None:
    assert MAX_PAISA == 2_14_74_836_47  # Rs 2,14,74,836.47
    assert rupees_in_words(MAX_PAISA) == "दुई करोड चौध लाख चौहत्तर हजार आठ सय छत्तीस रुपैयाँ सतचालीस पैसा"


@pytest.mark.parametrize("bad", [1.5, "100", None, True])
def test_only_integers_are_written(bad: object) -> None:
    with pytest.raises(TypeError):
        rupees_in_words(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        number_in_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [-1, 1_00_00_00_000])
def test_numbers_out_of_range_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        number_in_words(n)
