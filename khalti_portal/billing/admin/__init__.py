"""What admins do to billing: edit plans, read payments (and their CSV), refund, decide access, see figures, retry mail.

The subscriber core (`khalti_portal.billing`) never imports this package; this package builds on the core.
"""
