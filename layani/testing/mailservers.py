"""Real mail servers for email tests: Dovecot (Debian `dovecot-imapd`) as the customer-facing
mailbox we poll by IMAP, and an aiosmtpd SMTP server that receives what we send.

Dovecot runs as a child process with a generated configuration in a temporary directory:
passwd-file users, maildirs in the directory, plain-text login on 127.0.0.1 on a free port.
When Dovecot is missing, a local run skips the tests that need it with the reason; under CI
(`CI=true`) the fixture installs the package (as root) and fails if that does not work.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

DOVECOT_PACKAGE = "dovecot-imapd"
MAILBOX_USER = "cs@toko.example"
MAILBOX_PASSWORD = "rahasia-imap"

__all__ = [
    "MAILBOX_PASSWORD",
    "MAILBOX_USER",
    "DovecotServer",
    "ReceivedMail",
    "SmtpSink",
    "dovecot",
    "dovecot_binary",
    "free_port",
    "smtp_sink",
    "test_ca",
    "trust_test_ca",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _find_dovecot() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None
    )


def _install_dovecot() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return f"not running as root, cannot apt-get install {DOVECOT_PACKAGE}"
    if shutil.which("apt-get") is None:
        return "apt-get not found"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", DOVECOT_PACKAGE],
    ):
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip()[-2000:]
            return f"{' '.join(command)} exited {result.returncode}: {tail}"
    return None


@pytest.fixture(scope="session")
def dovecot_binary() -> str:
    found = _find_dovecot()
    if found:
        return found
    if not _under_ci():
        pytest.skip(f"Dovecot not installed: apt-get install {DOVECOT_PACKAGE}")
    problem = _install_dovecot()
    found = _find_dovecot()
    if problem is not None or not found:
        pytest.fail(f"CI needs Dovecot for the email tests and could not install it: {problem}")
    return found


_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
login_trusted_networks = 127.0.0.1/32
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""


@dataclass
class DovecotServer:
    host: str
    port: int
    root: Path
    users: dict[str, str] = field(default_factory=dict)
    tls_port: int = 0  # implicit TLS (IMAPS), certificate of `test_ca`; `port` offers STARTTLS

    def client(self, user: str = MAILBOX_USER) -> Any:
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, self.users[user])
        return client

    def deliver(self, raw: bytes, user: str = MAILBOX_USER, folder: str = "INBOX") -> None:
        """Put a mail into the mailbox, as the mail server would on delivery (unseen)."""
        client = self.client(user)
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def empty(self, user: str = MAILBOX_USER) -> None:
        client = self.client(user)
        try:
            for folder in ("INBOX",):
                client.select_folder(folder)
                uids = client.search(["ALL"])
                if uids:
                    client.delete_messages(uids)
                    client.expunge()
        finally:
            client.logout()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    text = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise RuntimeError(f"Dovecot did not start on port {port}: {text}")


def _unprivileged_user() -> tuple[str, str]:
    import grp
    import pwd

    for name in ("dovenull", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name
    raise RuntimeError("no unprivileged user (dovenull, nobody) to run Dovecot's logins")


@pytest.fixture(scope="session")
def test_ca() -> Any:
    """A certificate authority of the test run (trustme): servers present certificates for
    127.0.0.1 signed by it; `trust_test_ca` makes the application trust it."""
    import trustme

    return trustme.CA()


@pytest.fixture
def trust_test_ca(test_ca: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`ssl.create_default_context()` (what the application uses) trusts the test CA, as a
    system would trust a real one: OpenSSL reads SSL_CERT_FILE when loading its defaults."""
    bundle = tmp_path / "test-ca.pem"
    test_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return test_ca


@pytest.fixture(scope="session")
def dovecot(dovecot_binary: str, test_ca: Any) -> Iterator[DovecotServer]:
    """A running Dovecot with the mailbox `MAILBOX_USER` (and two customer mailboxes)."""
    import grp
    import pwd

    root = Path(tempfile.mkdtemp(prefix="layani-dovecot-"))
    for name in ("run", "state", "mail", "home", "tls"):
        (root / name).mkdir()
    certificate = test_ca.issue_cert("127.0.0.1", "localhost")
    certificate.cert_chain_pems[0].write_to_path(str(root / "tls" / "cert.pem"))
    certificate.private_key_pem.write_to_path(str(root / "tls" / "key.pem"))
    users = {MAILBOX_USER: MAILBOX_PASSWORD}
    (root / "users").write_text(
        "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in users.items())
    )
    port, tls_port = free_port(), free_port()
    config = root / "dovecot.conf"
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:  # Dovecot's logins and mail processes refuse to run as root
        root.chmod(0o755)
        user, group = _unprivileged_user()
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
        for name in ("mail", "home"):
            os.chown(root / name, uid, gid)
    config.write_text(
        _CONFIG.format(
            root=root,
            port=port,
            tls_port=tls_port,
            user=user,
            group=group,
            uid=uid,
            gid=gid,
        )
    )
    process = subprocess.Popen(
        [dovecot_binary, "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "stderr.log", "wb"),  # noqa: SIM115
    )
    try:
        _wait_for_port(port, process, root / "dovecot.log")
        _wait_for_port(tls_port, process, root / "dovecot.log")
        yield DovecotServer(host="127.0.0.1", port=port, root=root, users=users, tls_port=tls_port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if not os.environ.get("LAYANI_KEEP_DOVECOT"):
            shutil.rmtree(root, ignore_errors=True)


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpSink:
    """An aiosmtpd server on a free port that keeps every mail it accepts."""

    def __init__(self, security: str = "none", ca: Any = None) -> None:
        """`security`: "none", "tls" (implicit, like port 465) or "starttls" (required, like
        587), with a certificate of `ca` for 127.0.0.1."""
        import ssl

        from aiosmtpd.controller import Controller

        self.security = security
        self.received: list[ReceivedMail] = []
        self.refuse_with: str | None = None
        self._arrived = threading.Condition()
        self.port = free_port()
        options: dict[str, Any] = {}
        if security != "none":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
            if security == "tls":
                options["ssl_context"] = context
            else:
                options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        with self._arrived:
            self.received.append(
                ReceivedMail(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=bytes(envelope.original_content or envelope.content),
                )
            )
            self._arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 10) -> list[ReceivedMail]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    try:
        yield sink
    finally:
        sink.controller.stop()
