"""Nepali in the receipt PDF: drawn in the Devanagari font shipped under assets/fonts/, embedded, and shaped."""

from __future__ import annotations

import io
import re

import pypdf

from khalti_portal.documents.pdf import DEVANAGARI_FAMILY, FONTS, new_document, receipt_pdf
from khalti_portal.documents.receipt import ReceiptView

VIEW = ReceiptView(
    number="TEST-INV-2083-84-000001",
    title="Tax Invoice",
    merchant_name="Pahilo Patrika",
    buyer_name="सीता श्रेष्ठ",
    plan_name="प्रिमियम सदस्यता",
    duration="३० दिन",
    vat_label="मूल्य अभिवृद्धि कर (१३%)",
    taxable_text="रु १,१५०",
    vat_text="रु १४९.५०",
    total_text="रु १,२९९.५०",
    vat_paisa=14950,
    vat_rate_percent=13,
)


def font_names(data: bytes) -> set[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return {
        str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()
    }


def test_the_devanagari_font_and_its_licence_are_shipped() -> None:
    for name in ("NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"):
        assert (FONTS / name).read_bytes()[:4] == b"\x00\x01\x00\x00"  # a TrueType font, not an LFS pointer
    assert "SIL OPEN FONT LICENSE Version 1.1" in (FONTS / "OFL-NotoSansDevanagari.txt").read_text()


def test_nepali_in_a_receipt_embeds_the_shipped_font_and_extracts_as_written() -> None:
    data = receipt_pdf(VIEW)
    # Subset names look like /MPDFAA+NotoSansDevanagari: the font itself is in the file, not a reference.
    names = font_names(data)
    assert any(re.fullmatch(r"/[A-Z]{6}\+NotoSansDevanagari", n) for n in names), names
    assert any(re.fullmatch(r"/[A-Z]{6}\+NotoSansDevanagari-?Bold", n) for n in names), names  # the bold labels
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    # Where shaping puts a vowel sign before its consonant (दि drawn as ि then द), fpdf2 maps the pair to the
    # first glyph and leaves the second without a Unicode value, which pypdf reads out as a control character.
    text = re.sub(r"[\x00-\x08\x0b-\x1f!]", "", text)
    for written in ("सीता श्रेष्ठ", "सदस्यता", "मूल्य अभिवृद्धि कर", "रु १,२९९.५०", VIEW.number):
        assert written in text


def test_an_english_receipt_carries_no_devanagari_font() -> None:
    # Only the glyphs used are embedded: an all-English receipt does not grow by a font it does not use.
    data = receipt_pdf(ReceiptView(number="TEST-INV-1", title="Invoice", total_text="Rs 499"))
    assert not any("Devanagari" in n for n in font_names(data))


def test_devanagari_is_shaped_not_drawn_letter_by_letter() -> None:
    # `प्रि` is four code points; shaped, it is two glyphs (the vowel sign placed first, then the प्र conjunct).
    def glyphs(shaped: bool) -> int:
        pdf = new_document()
        pdf.set_text_shaping(shaped)
        pdf.add_page()
        pdf.set_font(DEVANAGARI_FAMILY, "", 12)
        pdf.cell(0, 10, "प्रि")
        stream = pypdf.PdfReader(io.BytesIO(bytes(pdf.output()))).pages[0].get_contents().get_data()
        shown = re.search(rb"\((.*)\) Tj", stream, re.DOTALL)
        assert shown is not None
        return len(shown.group(1)) // 2  # two bytes a glyph (Identity-H)

    assert glyphs(shaped=False) == 4
    assert glyphs(shaped=True) == 2
