"""The demo business's sign-ins, printed by `layani demo_logins` and the quick-start script."""

DEMO_PASSWORD = "layani-demo"

# (username, role, description)
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", "admin", "Administrator: configuration and the Django admin"),
    ("supervisor", "supervisor", "Supervisor of the Jakarta Pusat and Bandung branches"),
    ("agent", "agent", "Contact-centre agent: every channel, every branch"),
    ("cabang", "branch_staff", "Customer service at the Jakarta Pusat branch"),
    ("kiosk", "kiosk", "Check-in kiosk at the Jakarta Pusat branch"),
]
