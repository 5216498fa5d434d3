"""Email: IMAP polling and an inbound SMTP/LMTP listener in, SMTP out."""
