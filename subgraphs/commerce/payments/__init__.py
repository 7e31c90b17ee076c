"""Payments: card checks, the payment provider port with its simulator, and the payments worker."""
