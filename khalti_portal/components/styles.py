"""Colours and sizes in one place."""

from __future__ import annotations

ACCENT = "purple"  # Khalti's own colour family
MAX_WIDTH = "72rem"
CARD_STYLE = {"padding": "1.25rem", "border_radius": "12px", "width": "100%"}
