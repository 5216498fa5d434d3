"""WhatsApp Cloud API, Messenger and Instagram: Meta's webhooks and Graph API."""
