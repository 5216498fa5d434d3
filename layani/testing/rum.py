"""The RUM extension for the ordered search index tests (`layani.search.ordered_index`).

The tests need the server to offer `rum` (Debian `postgresql-<major>-rum`, for the local
server's major version). When it does not, a local run skips them with the reason; under CI
(`CI=true`) this installs the package (as root, on the server's machine) and the tests fail
if that does not work, so CI never skips them silently.
"""

import os
import shutil
import subprocess

from django.db import connection


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def rum_package() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10_000
    return f"postgresql-{major}-rum"


def rum_offered() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return cursor.fetchone() is not None


def install_rum() -> str | None:
    """apt-get install the server's RUM package; None when done, else what went wrong."""
    package = rum_package()
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"not running as root, cannot apt-get install {package}"
    if shutil.which("apt-get") is None:
        return "apt-get not found"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", package],
    ):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip()[-2000:]
            return f"{' '.join(command)} exited {result.returncode}: {tail}"
    if not rum_offered():
        return f"{package} installed, but the server does not offer the rum extension"
    return None
