"""Agent backends other than the in-process pykka one: where an agent's pool can run."""
