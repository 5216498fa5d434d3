"""Admin registrations for routing; each concern registers its models in its own module."""
