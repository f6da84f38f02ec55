"""Use cases: what the bot can do, over ports the adapters implement. No I/O of its own."""
