"""The sections of `/admin/plans`: the plans table with each plan's actions, and the create/edit form."""
