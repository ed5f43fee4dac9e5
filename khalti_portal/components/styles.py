"""Colours and sizes in one place, and the rules every page carries: skip link, focus rings, underlines, contrast."""

from __future__ import annotations

# The theme's accent (ACCENT_COLOR, a Radix colour name, default purple): rx.color(ACCENT, 11) follows it.
ACCENT = "accent"
MAX_WIDTH = "72rem"

# What every page needs so a person can use it by keyboard and read it at any contrast, as global rules (the
# layout puts them in every page). Radix Themes' own class names are matched: the lock pins its version.
GLOBAL_CSS = """
/* The skip link: out of sight until a keyboard reaches it, then at the top left, over everything. */
.skip-link { position: absolute; left: 0.75rem; top: -4rem; z-index: 1000; padding: 0.6rem 1rem;
  background: var(--color-panel-solid); color: var(--accent-12); border-radius: var(--radius-3);
  box-shadow: var(--shadow-4); font-weight: 600; text-decoration: underline; }
.skip-link:focus { top: 0.75rem; }

/* A focus ring on whatever the keyboard reaches: Radix draws its own on its controls, this covers the rest. */
:where(a, summary, [tabindex]:not([tabindex="-1"])):focus-visible {
  outline: 2px solid var(--focus-8); outline-offset: 2px; border-radius: var(--radius-1); }
/* The skip link's target takes focus only to move the reading position there: no ring round the whole page. */
#main-content:focus { outline: none; }

/* A link inside a sentence is underlined: colour alone would not tell it from the words around it. */
:where(.rt-Text, .rt-CalloutText, p, li) .rt-Link { text-decoration-line: underline; }

/* Tinted badges, buttons and callouts: Radix's step-11 text on a step-3 tint falls under 4.5:1 for green,
   orange and amber at 12-14 px; step 12 is dark enough on every tint. */
.rt-Badge.rt-Badge:where(.rt-variant-soft, .rt-variant-surface, .rt-variant-outline),
.rt-BaseButton.rt-BaseButton:where(.rt-variant-soft, .rt-variant-surface, .rt-variant-outline, .rt-variant-ghost),
.rt-CalloutRoot.rt-CalloutRoot { --accent-a11: var(--accent-12); }
/* White on step 9 is under 4.5:1 for many colours (red 3.9, crimson 3.6, green 3.2, orange and gray 3.3), and
   the merchant picks the accent (ACCENT_COLOR): every solid button is drawn in step 11, which Radix makes
   readable as text on white, so white text on it passes whatever the colour. */
.rt-BaseButton.rt-variant-solid {
  --accent-9: var(--accent-11); --accent-10: var(--accent-12); --accent-contrast: white; }

/* A scrolling region the keyboard can reach (a wide table or a block of JSON on a phone). */
.scroll-region { overflow-x: auto; }
.scroll-region .rt-TableRoot .rt-ScrollAreaViewport { overflow: visible !important; }
"""
