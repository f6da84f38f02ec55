"""The HTTP API: FastAPI on uvicorn, in the bot's event loop or alone (`rebalance-bot serve`)."""
