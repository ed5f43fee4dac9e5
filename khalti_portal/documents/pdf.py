"""`receipt_pdf`: a receipt or credit note as an A4 PDF (fpdf2), in the fonts bundled under `assets/fonts/`.

The fonts are embedded from the repository, never from the system, so a PDF looks the same wherever the
server runs. Latin text is DejaVu Sans; Devanagari (a Nepali name, label or amount) falls back to Noto Sans
Devanagari, shaped by HarfBuzz (`uharfbuzz`) so conjuncts and vowel signs are drawn as Nepali is written.
Every label is written in the view's language (`ReceiptView.language`, the reader's), the same words as the page.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from khalti_portal.documents.receipt import ReceiptView
from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, parse_language, translate

FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FAMILY = "DejaVuSans"
DEVANAGARI_FAMILY = "NotoSansDevanagari"
LABEL_WIDTH = 55  # mm: the left column of label/value lines
LINE = 6.5  # mm


def _line(pdf: FPDF, label: str, value: str) -> None:
    """One label and its value; nothing when the value is empty (a person has no PAN, say)."""
    if not value:
        return
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(LABEL_WIDTH, LINE, label)
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, LINE, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _amount(pdf: FPDF, label: str, value: str, *, bold: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", 11 if bold else 10)
    pdf.cell(pdf.epw - 45, LINE + 1, label, align="R")
    pdf.cell(45, LINE + 1, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class _Document(FPDF):
    """FPDF that names the font again for each line of text.

    fpdf2 2.8.9 can end a line that starts in the fallback font with that font still selected in the PDF
    while believing the main one is (py-pdf/fpdf2#1772): the next Latin line would then be drawn with
    Noto's glyph numbers, as garbage. Forgetting what the page has selected costs one `Tf` a line.
    """

    def _render_styled_text_line(self, *args: object, **kwargs: object) -> object:
        try:
            return super()._render_styled_text_line(*args, **kwargs)
        finally:
            self.current_font_is_set_on_page = False


def new_document() -> FPDF:
    """An empty A4 document with the bundled fonts: DejaVu Sans, and Noto Sans Devanagari for any Devanagari."""
    pdf = _Document(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_font(DEVANAGARI_FAMILY, "", str(FONTS / "NotoSansDevanagari-Regular.ttf"))
    pdf.add_font(DEVANAGARI_FAMILY, "B", str(FONTS / "NotoSansDevanagari-Bold.ttf"))
    # A character DejaVu lacks is drawn in Noto (bold in its bold); only the glyphs used are embedded.
    pdf.set_fallback_fonts([DEVANAGARI_FAMILY], exact_match=False)
    pdf.set_text_shaping(True)
    return pdf


def receipt_pdf(view: ReceiptView) -> bytes:
    """The document as PDF bytes: header, merchant and buyer, what was bought, the amounts, the total in words."""
    language = parse_language(view.language) or SOURCE_LANGUAGE

    pdf = new_document()
    pdf.set_title(f"{view.title} {view.number}")
    pdf.set_creator("khalti_portal")
    pdf.add_page()

    if view.test_marker:
        pdf.set_text_color(180, 60, 0)
        pdf.set_font(FAMILY, "B", 12)
        pdf.cell(0, 8, view.test_marker, align="C", border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)

    pdf.set_font(FAMILY, "B", 18)
    pdf.cell(0, 10, view.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 13)
    pdf.cell(0, 8, view.merchant_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 10)
    if view.merchant_address:
        pdf.multi_cell(0, LINE, view.merchant_address, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if view.merchant_pan:
        pdf.cell(0, LINE, translate(language, "PAN: {pan}", pan=view.merchant_pan), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    _line(pdf, translate(language, "Number"), view.number)
    _line(pdf, translate(language, "Reverses invoice"), view.reverses_number)
    _line(pdf, translate(language, "Date (BS)"), view.issued_bs)
    _line(pdf, translate(language, "Date (AD)"), view.issued_ad)
    pdf.ln(2)
    _line(pdf, translate(language, "Billed to"), view.buyer_name)
    _line(pdf, translate(language, "Buyer's PAN"), view.buyer_pan)
    pdf.ln(2)
    _line(pdf, translate(language, "Plan"), view.plan_name)
    _line(pdf, translate(language, "Access"), view.duration)
    _line(pdf, translate(language, "Period from"), view.period_from)
    _line(pdf, translate(language, "Period to"), view.period_to)
    _line(pdf, translate(language, "Khalti transaction"), view.transaction_id)
    _line(pdf, translate(language, "Order reference"), view.order)
    pdf.ln(4)

    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(2)
    if view.vat_paisa or view.vat_rate_percent:
        _amount(pdf, translate(language, "Taxable amount"), view.taxable_text)
        _amount(pdf, view.vat_label, view.vat_text)
    _amount(pdf, translate(language, "Total"), view.total_text, bold=True)
    pdf.ln(2)
    if view.total_words:
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(
            0,
            LINE,
            translate(language, "In words: {words}", words=view.total_words),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    return bytes(pdf.output())
