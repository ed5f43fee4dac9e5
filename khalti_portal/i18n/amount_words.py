"""Amounts in Nepali words, for the "In words" line of a receipt read in Nepali.

    number_in_words(99_999)          उनान्सय हजार नौ सय उनान्सय
    rupees_in_words(129_950)         एक हजार दुई सय उनान्सय रुपैयाँ पचास पैसा
    rupees_in_words(10_000_000)      एक लाख रुपैयाँ

The English words are num2words' (`billing.money.rupees_in_words`), stored on the invoice when it is issued;
num2words has no Nepali. Of the PyPI packages for Nepali number words none writes all of 1–99 right
(misspelt conjuncts such as अठ्ठाईस and एकसठ्ठी, a zero-width joiner inside ९७, Hindi अस्सी for ८०, runtime
dependencies on pytest): so the table is here, and a test checks it word by word.

Nepali names every number below a hundred with its own word, and the ones before a round ten are irregular
(उनन्तीस 29, उनासी 79, उनान्नब्बे 89, उनान्सय 99), so there is no rule to compute them from: one table. The
words are those of Unicode CLDR's Nepali spell-out rules (ICU `rbnf/ne.txt`), written with the long ई of
the common spelling (बीस, तीस, चालीस, उनन्तीस, as the English Wikipedia's "Numbers in Nepali language"
writes them) where CLDR follows the Nepal Academy's short इ (बिस, तिस, चालिस); शून्य for 0.
Above 99 the grouping is lakh and crore: सय 100, हजार 1,000, लाख 1,00,000, करोड 1,00,00,000.
"""

from __future__ import annotations

from typing import Final

# 0–99, index = the number.
WORDS: Final = (
    "शून्य एक दुई तीन चार पाँच छ सात आठ नौ "
    "दस एघार बाह्र तेह्र चौध पन्ध्र सोह्र सत्र अठार उन्नाइस "
    "बीस एक्काइस बाइस तेइस चौबीस पच्चीस छब्बीस सत्ताइस अट्ठाइस उनन्तीस "
    "तीस एकतीस बत्तीस तेत्तीस चौँतीस पैँतीस छत्तीस सैँतीस अठतीस उनन्चालीस "
    "चालीस एकचालीस बयालीस त्रिचालीस चवालीस पैँतालीस छयालीस सतचालीस अठचालीस उनन्चास "
    "पचास एकाउन्न बाउन्न त्रिपन्न चवन्न पचपन्न छपन्न सन्ताउन्न अन्ठाउन्न उनन्साठी "
    "साठी एकसट्ठी बयसट्ठी त्रिसट्ठी चौसट्ठी पैँसट्ठी छयसट्ठी सतसट्ठी अठसट्ठी उनन्सत्तरी "
    "सत्तरी एकहत्तर बहत्तर त्रिहत्तर चौहत्तर पचहत्तर छयहत्तर सतहत्तर अठहत्तर उनासी "
    "असी एकासी बयासी त्रियासी चौरासी पचासी छयासी सतासी अठासी उनान्नब्बे "
    "नब्बे एकानब्बे बयानब्बे त्रियानब्बे चौरानब्बे पन्चानब्बे छयानब्बे सन्तानब्बे अन्ठानब्बे उनान्सय"
).split()

# Largest first; each counts in words below a hundred (the crore, the largest, is checked in number_in_words).
SCALES: Final = ((10_000_000, "करोड"), (100_000, "लाख"), (1_000, "हजार"), (100, "सय"))
LIMIT: Final = 100 * 10_000_000  # a hundred crore is an अरब: past any amount the portal handles
PAISA_PER_RUPEE: Final = 100
RUPEES, PAISA = "रुपैयाँ", "पैसा"


def number_in_words(n: int) -> str:
    """`n` (0 to 99,99,99,999) in Nepali words: `एक लाख`, `बाह्र लाख चौँतीस हजार पाँच सय सतसट्ठी`."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_in_words takes an int, got {type(n).__name__}")
    if not 0 <= n < LIMIT:
        raise ValueError(f"{n} is outside 0 to {LIMIT - 1}")
    if n < 100:
        return WORDS[n]
    parts = []
    for size, name in SCALES:
        count, n = divmod(n, size)
        if count:
            parts.append(f"{WORDS[count]} {name}")
    if n:
        parts.append(WORDS[n])
    return " ".join(parts)


def rupees_in_words(paisa: int) -> str:
    """Integer `paisa` as Nepali words: `एक हजार दुई सय उनान्सय रुपैयाँ पचास पैसा`; never a float.

    Whole rupees say no paisa (`चार हजार नौ सय उनान्सय रुपैयाँ`); nothing at all is `शून्य रुपैयाँ`. The sign
    is not spoken: a credit note says which way the money goes in its title, as the English words do.
    """
    if isinstance(paisa, bool) or not isinstance(paisa, int):
        raise TypeError(f"rupees_in_words takes integer paisa, got {type(paisa).__name__}")
    rupees, cents = divmod(abs(paisa), PAISA_PER_RUPEE)
    if rupees and cents:
        return f"{number_in_words(rupees)} {RUPEES} {number_in_words(cents)} {PAISA}"
    if cents:
        return f"{number_in_words(cents)} {PAISA}"
    return f"{number_in_words(rupees)} {RUPEES}"
