"""Phone: CTI and Twilio call events, screen pop, documented calls, and callbacks."""
