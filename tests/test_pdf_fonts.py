"""Nepali in the receipt PDF: drawn in the Devanagari font shipped under assets/fonts/, embedded, and shaped;
a receipt read in Nepali has Nepali labels, digits and dates, and one read in English is written as before."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime

import pypdf

from khalti_portal.db.models import Invoice
from khalti_portal.documents.pdf import DEVANAGARI_FAMILY, FONTS, new_document, receipt_pdf
from khalti_portal.documents.receipt import TEST_MARKER, ReceiptView, receipt_view
from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_rupees

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


# -- a whole receipt in Nepali ---------------------------------------------------------------------------------------

# The labels the PDF writes (English msgids), and an issued tax invoice as billing.invoices stores it.
PDF_LABELS = (
    "Number",
    "Date (BS)",
    "Date (AD)",
    "Billed to",
    "Buyer's PAN",
    "Plan",
    "Access",
    "Period from",
    "Period to",
    "Khalti transaction",
    "Order reference",
    "Taxable amount",
    "Total",
)
ISSUED = Invoice(
    number="TEST-2083/84-000007",
    slug="TEST-2083-84-000007",
    kind="invoice",
    payment_id=1,
    user_id=1,
    fiscal_year="2083/84",
    sequence=7,
    is_test=True,
    issued_at=datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
    total_paisa=49_900,
    taxable_paisa=44_159,
    vat_paisa=5_741,
    vat_rate_percent=13,
    details={
        "merchant": {"name": "Acme Pvt Ltd", "address": "Thamel", "pan": "301234567", "vat_registered": True},
        "buyer": {"name": "Sita Shrestha", "pan": "600123456"},
        "plan_name": "Basic",
        "duration_days": 30,
        "period_from_utc": "2026-11-27T12:00:00Z",
        "period_to_utc": "2026-12-27T12:00:00Z",
        "transaction_id": "TXN42",
        "order": "KP-42",
        "issued_ad": "27 Nov 2026",
        "issued_bs": "11 Mangsir 2083 BS",
        "total_words": "Rupees Four Hundred Ninety-Nine Only",
        "total_text": "Rs 499",
    },
)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def devanagari_only(text: str) -> str:
    """The Devanagari letters of `text`, words split by single spaces.

    What is checked, honestly: shaped Devanagari reads back with extra characters where a glyph (a reordered vowel
    sign, a conjunct's half form) has no Unicode value of its own (control characters, `#`, `$`, `*`, `0`). Those
    are never Devanagari, so dropping everything else leaves each word's letters in their order, comparable.
    """
    # Only a space or a line break separates words: pypdf reads some of those glyphs as \t or \x1c-\x1f.
    return " ".join(re.sub(r"[^\u0900-\u097f \n]", "", text).split())


def embedded_fonts(data: bytes) -> dict[str, bool]:
    """Each font of the PDF by its base name, and whether its file is in the PDF (`/FontFile2`)."""
    found = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            found[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
    return found


def test_a_nepali_receipt_pdf_embeds_the_devanagari_font_and_writes_its_labels_in_nepali() -> None:
    data = receipt_pdf(receipt_view(ISSUED, Calendar.BS, Language.NE))
    fonts = embedded_fonts(data)
    noto = {name: embedded for name, embedded in fonts.items() if "NotoSansDevanagari" in name}
    assert noto and all(noto.values()), fonts  # the shipped font's glyphs are in the file, not a reference
    assert any("Bold" in name for name in noto), fonts  # the labels, bold
    text = pdf_text(data)
    nepali = devanagari_only(text)
    for label in (*PDF_LABELS, "Tax Invoice", "TEST — not valid for tax"):
        translated = translate(Language.NE, label)
        assert translated != label and devanagari_only(translated) in nepali, (label, translated)
    assert devanagari_only(translate(Language.NE, "VAT {rate}%", rate="१३")) in nepali
    assert devanagari_only(format_rupees(49_900, Language.NE)) in nepali  # रु ४९९
    assert devanagari_only(format_rupees(5_741, Language.NE)) in nepali
    for english in ("Taxable amount", "Billed to", "Total", "Period from", "Invoice", "VAT", "In words", "Rs "):
        assert english not in text
    # What was issued is written as issued: names, number, Khalti's ids, PANs.
    flat = " ".join(text.split())
    for fact in ("TEST-2083/84-000007", "Acme Pvt Ltd", "Sita Shrestha", "Basic", "TXN42", "KP-42", "600123456"):
        assert fact in flat


def test_the_check_above_would_see_an_english_label_in_a_nepali_receipt() -> None:
    # The same view with its language left English: the Nepali labels are not found (the check can fail).
    view = dataclasses.replace(receipt_view(ISSUED, Calendar.BS, Language.NE), language="en")
    nepali = devanagari_only(pdf_text(receipt_pdf(view)))
    assert devanagari_only(translate(Language.NE, "Taxable amount")) not in nepali
    assert devanagari_only(translate(Language.NE, "Billed to")) not in nepali


def test_an_english_receipt_is_written_as_before() -> None:
    view = receipt_view(ISSUED, Calendar.BS)
    assert view == receipt_view(ISSUED, Calendar.BS, Language.EN) and view.language == "en"
    assert (view.title, view.vat_label, view.total_text, view.duration) == (
        "Tax Invoice",
        "VAT 13%",
        "Rs 499",
        "30 days",
    )
    assert (view.issued_bs, view.issued_ad, view.test_marker) == ("11 Mangsir 2083 BS", "27 Nov 2026", TEST_MARKER)
    data = receipt_pdf(view)
    assert not any("Devanagari" in name for name in embedded_fonts(data))
    flat = " ".join(pdf_text(data).split())
    for line in (
        "Tax Invoice",
        "PAN: 301234567",
        "Number TEST-2083/84-000007",
        "Date (BS) 11 Mangsir 2083 BS",
        "Billed to Sita Shrestha",
        "Buyer's PAN 600123456",
        "Access 30 days",
        "Taxable amount Rs 441.59",
        "VAT 13% Rs 57.41",
        "Total Rs 499",
        "In words: Rupees Four Hundred Ninety-Nine Only",
    ):
        assert line in flat, line


def test_a_nepali_reader_reads_the_issued_facts_with_nepali_words_digits_and_dates() -> None:
    view = receipt_view(ISSUED, Calendar.BS, Language.NE)
    assert (view.number, view.merchant_name, view.buyer_name, view.plan_name) == (
        "TEST-2083/84-000007",
        "Acme Pvt Ltd",
        "Sita Shrestha",
        "Basic",
    )
    assert (view.total_paisa, view.taxable_paisa, view.vat_paisa) == (49_900, 44_159, 5_741)  # unchanged
    assert (view.title, view.vat_label) == ("कर बीजक", "मू.अ.कर १३%")
    assert (view.taxable_text, view.vat_text, view.total_text) == ("रु ४४१.५९", "रु ५७.४१", "रु ४९९")
    assert (view.issued_bs, view.issued_ad, view.duration) == ("११ मंसिर २०८३", "२७ नोभेम्बर २०२६", "३० दिन")
    assert view.period_from == "११ मंसिर २०८३, ५:४५ अपराह्न नेपाली समय"
    assert view.total_words == ""  # stored in English only: left out rather than shown in English
    credit = ISSUED.model_copy(update={"kind": "credit_note", "reverses_number": "TEST-2083/84-000006"})
    assert receipt_view(credit, Calendar.BS, Language.NE).title == "क्रेडिट नोट"
