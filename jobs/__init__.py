"""RQ entry points. Each job is a small function taking ids, wrapped by ``task``."""
