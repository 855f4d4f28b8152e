"""Deal registration and channel-conflict adjudication (SPEC §5)."""
