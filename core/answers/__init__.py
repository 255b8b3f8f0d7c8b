"""One module per question a user can ask: each binds, sweeps and returns a result dataclass."""
