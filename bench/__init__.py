"""`python -m bench` (`make bench`): the project measured side by side with a naive reference.

Every row runs the project and a small reference implementation of the common naive
approach (`bench.reference`: ccxt's default rate limiting, one ticker request per pair,
orders one by one with a 1 s pause, fills polled one order at a time) against the same
Kraken-compatible server, with the same latency and portfolio, in the same run. One table
is printed and the same figures are written to `bench/results.json`.

Modules: `harness` (timing, statistics, processes), `servers` (the fake Kraken and Telegram
servers as subprocesses), `scenario` (portfolios and settings), `reference`,
`reference_cli` and `echo_bot` (the reference side), `rows_*` (one per group of rows),
`report` (table and JSON).
"""
