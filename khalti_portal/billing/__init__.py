"""The billing domain: plans, checkout, the one verification function, periods that stack, subscriptions.

Plain Python and SQLModel; no Reflex. Every public function takes a keyword `deps` (None → the process
defaults) and reads time only from `deps.clock`.
"""
