"""Email parsing and threading speed on one core (issue 5).

A realistic mix of raw mails (replies quoting earlier mail ids, subject tokens, same-subject
follow-ups, new mail from known and unknown senders, HTML-only newsletters, mail with a PDF
and an inline image, auto-replies and bounces, mislabelled charsets) is parsed with
`parsing.parse_mail` and threaded with `threading.conversation_for` against a SQLite
database holding 2,000 customers and 5,000 email conversations with 15,000 stored mails.
The process is pinned to one CPU. Target: at least 300 messages per second.

    .venv/bin/python bench/email_bench.py [--messages 3000]

Creates its own data directory in a temporary folder (SQLite, DEBUG=0).
"""

import argparse
import base64
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = 2_000
CONVERSATIONS = 5_000
MAILS_PER_CONVERSATION = 3
SUBJECTS = [
    "Tagihan bulan ini",
    "Kartu ATM terblokir",
    "Pesanan belum sampai",
    "Perubahan alamat",
    "Komplain layanan cabang",
    "Pertanyaan produk tabungan",
    "Refund pembayaran",
    "Jadwal kunjungan teknisi",
]
PDF = base64.encodebytes(os.urandom(60_000)).decode()
PNG = base64.encodebytes(os.urandom(8_000)).decode()


def prepare(data_dir: Path) -> None:
    os.environ.update(
        {
            "LAYANI_DATA_DIR": str(data_dir),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_SETTINGS_MODULE": "layani.config.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-m", "layani", "migrate", "-v0"], check=True, cwd=ROOT)
    import django

    django.setup()


def seed(rng: random.Random) -> list[tuple[str, int, str]]:
    """Customers, conversations and stored inbound mails; returns (email, conversation id,
    a stored Message-ID) for each conversation."""
    from django.utils import timezone

    from layani.conversations.models import Conversation, Direction, Message
    from layani.customers.models import Customer, CustomerIdentity

    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(full_name=f"Pelanggan {i}") for i in range(CUSTOMERS)], batch_size=1000
    )
    CustomerIdentity.objects.bulk_create(
        [
            CustomerIdentity(customer=c, kind="email", value=f"p{i}@example.co.id")
            for i, c in enumerate(customers)
        ],
        batch_size=1000,
    )
    conversations = Conversation.objects.bulk_create(
        [
            Conversation(
                customer=customers[i % CUSTOMERS],
                channel="email",
                subject=SUBJECTS[i % len(SUBJECTS)] + f" {i}",
                last_message_at=now,
            )
            for i in range(CONVERSATIONS)
        ],
        batch_size=1000,
    )
    threads = []
    messages = []
    for conversation in conversations:
        for n in range(MAILS_PER_CONVERSATION):
            mid = f"c{conversation.pk}-{n}@example.co.id"
            messages.append(
                Message(
                    conversation=conversation,
                    channel="email",
                    direction=Direction.INBOUND,
                    body_text="isi",
                    external_id=mid,
                    delivery_status="received",
                )
            )
        index = (conversation.customer_id or 1) - customers[0].pk
        threads.append((f"p{index}@example.co.id", conversation.pk, mid))
    Message.objects.bulk_create(messages, batch_size=2000)
    rng.shuffle(threads)
    return threads


def plain(sender: str, subject: str, mid: str, body: str, headers: str = "") -> bytes:
    return (
        f"From: Pelanggan <{sender}>\r\nTo: cs@toko.example\r\nSubject: {subject}\r\n"
        f"Date: Mon, 2 Nov 2026 09:00:00 +0700\r\nMessage-ID: <{mid}>\r\n{headers}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


QUOTE = "\r\n\r\nPada Sen, 2 Nov 2026 pukul 09.00, CS <cs@toko.example> menulis:\r\n" + (
    "> Terima kasih atas pesan Anda, kami sedang memeriksa.\r\n" * 12
)
BODY = "Selamat pagi, saya ingin menanyakan kelanjutan keluhan saya.\r\n" * 6 + "--\r\nBudi\r\n"


def mix(rng: random.Random, threads: list[tuple[str, int, str]], count: int) -> list[bytes]:
    mails = []
    for i in range(count):
        sender, conversation_id, known_mid = threads[i % len(threads)]
        roll = rng.random()
        mid = f"bench-{i}@example.co.id"
        if roll < 0.40:  # a reply quoting our earlier mail
            mails.append(
                plain(
                    sender,
                    "Re: " + SUBJECTS[0],
                    mid,
                    BODY + QUOTE,
                    f"In-Reply-To: <{known_mid}>\r\nReferences: <x@y> <{known_mid}>\r\n",
                )
            )
        elif roll < 0.55:  # the ticket token only
            mails.append(plain(sender, f"Re: Tagihan [#L-{conversation_id}]", mid, BODY))
        elif roll < 0.70:  # same subject, no headers
            mails.append(plain(sender, "RE: Fwd: " + SUBJECTS[i % len(SUBJECTS)], mid, BODY))
        elif roll < 0.80:  # new mail, known sender
            mails.append(plain(sender, f"Pertanyaan baru {i}", mid, BODY))
        elif roll < 0.85:  # unknown sender
            mails.append(plain(f"baru{i}@contoh.id", "Halo", mid, BODY))
        elif roll < 0.90:  # HTML only
            html = "<html><body>" + "<p>Promo <b>spesial</b> untuk Anda</p>" * 40 + "</body></html>"
            mails.append(
                (
                    f"From: {sender}\r\nSubject: Info\r\nMessage-ID: <{mid}>\r\n"
                    "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
                ).encode()
            )
        elif roll < 0.95:  # a PDF and an inline image
            mails.append(
                (
                    f"From: {sender}\r\nSubject: Bukti transfer\r\nMessage-ID: <{mid}>\r\n"
                    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
                    "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + BODY + "\r\n"
                    "--b\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\n"
                    "Content-Disposition: inline; filename=a.png\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" + PNG + "\r\n"
                    "--b\r\nContent-Type: application/pdf\r\n"
                    "Content-Disposition: attachment; filename=bukti.pdf\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n" + PDF + "\r\n--b--\r\n"
                ).encode()
            )
        elif roll < 0.98:  # auto-reply
            mails.append(
                plain(
                    sender,
                    "Auto: cuti",
                    mid,
                    "Saya sedang cuti.",
                    "Auto-Submitted: auto-replied\r\n",
                )
            )
        else:  # mislabelled charset
            mails.append(
                plain(sender, "Tagihan", mid, "Tagihan caf\xe9 \xabRp 150.000\xbb")
                .replace("caf\xe9".encode(), b"caf\xe9")
                .replace("\xab".encode(), b"\xab")
                .replace("\xbb".encode(), b"\xbb")
            )
    return mails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--cpu", type=int, default=0, help="the CPU to pin to")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="layani-email-bench-") as data_dir:
        prepare(Path(data_dir))
        threads = seed(rng)
        mails = mix(rng, threads, args.messages)
        megabytes = sum(len(m) for m in mails) / 1e6

        from layani.channels.email.parsing import parse_mail
        from layani.channels.email.threading import conversation_for

        print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
        wall, cpu = time.perf_counter(), time.process_time()
        parsed = [parse_mail(raw) for raw in mails]
        parse_wall, parse_cpu = time.perf_counter() - wall, time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        threaded = [conversation_for(message) for message in parsed]
        thread_wall, thread_cpu = time.perf_counter() - wall, time.process_time() - cpu
        found = sum(1 for t in threaded if t is not None)
        n = len(mails)
        print(f"messages: {n} ({megabytes:.1f} MB), threaded into a conversation: {found}")
        print("           wall msg/s   CPU msg/s (CPU time of this process, one core)")
        for name, w, c in (
            ("parse", parse_wall, parse_cpu),
            ("thread", thread_wall, thread_cpu),
            ("both", parse_wall + thread_wall, parse_cpu + thread_cpu),
        ):
            print(f"{name:8} {n / w:12.0f} {n / c:11.0f}")
        print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
