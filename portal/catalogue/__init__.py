"""Catalogue: tiers, categories, products and each partner's net price."""
