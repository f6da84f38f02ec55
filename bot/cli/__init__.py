"""The command-line front end: `rebalance-bot` and its terminal rendering."""
