"""'Notify me when in stock': a partner user's wish to hear when an out-of-stock product can be ordered."""
