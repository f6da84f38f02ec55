"""The Telegram front end: python-telegram-bot handlers over `core.app.api.Api`."""
