"""Colours and sizes in one place."""

from __future__ import annotations

# The theme's accent (ACCENT_COLOR, a Radix colour name, default purple): rx.color(ACCENT, 11) follows it.
ACCENT = "accent"
MAX_WIDTH = "72rem"
