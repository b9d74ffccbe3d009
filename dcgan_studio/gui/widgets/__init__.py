"""One widget per file; each shows snapshots and emits what the person asked for."""
