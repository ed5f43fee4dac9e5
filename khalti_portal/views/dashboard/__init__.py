"""The sections of `/dashboard`: the subscription summary, periods already paid, the payment history."""
