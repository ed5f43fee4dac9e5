"""Colours and sizes in one place."""

from __future__ import annotations

ACCENT = "purple"  # Khalti's own colour family
MAX_WIDTH = "72rem"
