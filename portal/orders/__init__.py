"""Ordering: each partner user's server-side cart (checkout and orders come later)."""
