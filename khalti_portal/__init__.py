"""khalti_portal: subscriptions paid through Khalti, built with Reflex."""
