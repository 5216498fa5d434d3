"""Telegram Bot API: webhook in, sendMessage and media out."""
