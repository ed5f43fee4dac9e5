"""Receipts and credit notes drawn as HTML and PDF from stored invoice data; imports db and money, never states."""
