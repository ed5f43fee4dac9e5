"""The sections of `/admin/payments`: figures, filters, the list, one payment's detail and decisions, access by hand."""
