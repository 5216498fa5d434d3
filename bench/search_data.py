"""Building the search benchmark's data in its child process: varied Indonesian message
text, the messages topped up to MESSAGES_PER_CONVERSATION per conversation, and the search
index loaded by COPY with its GIN indexes built afterwards (see search_bench.py)."""

import os
import random
import time
from typing import Any

MESSAGES_PER_CONVERSATION = 5

# Sentences added to the demo scripts for variety. {amount}, {date}, {place}, {ref}.
EXTRA_SENTENCES = [
    "Nominalnya Rp {amount}, tanggal {date}.",
    "Saya sudah coba di ATM {place} tapi gagal.",
    "Nomor referensi transaksinya {ref}.",
    "Tolong dibantu secepatnya ya, sudah {days} hari belum ada kabar.",
    "Mohon info kapan dana dikembalikan ke rekening saya.",
    "Sudah saya laporkan ke cabang {place} minggu lalu.",
    "Aplikasinya minta update terus, habis update malah tidak bisa dibuka.",
    "Apakah bisa diwakilkan keluarga? Saya sedang di luar kota.",
    "Kemarin sudah telepon call center tapi diminta menunggu.",
    "Saya nasabah prioritas sejak {year}, baru kali ini kecewa.",
    "Struk transaksinya masih saya simpan.",
    "Kalau perlu saya kirim foto KTP dan buku tabungan.",
    "Terima kasih atas bantuannya, kak.",
    "Notifikasi SMS tidak masuk sejak ganti HP.",
    "Tagihan bulan ini tidak sesuai dengan pemakaian.",
    "Mesin EDC di toko {place} menolak kartu saya.",
]
PLACES = [
    "Sudirman",
    "Thamrin",
    "Dago",
    "Malioboro",
    "Tunjungan",
    "Panakkukang",
    "Kuta",
    "Medan Merdeka",
    "Bekasi",
    "Depok",
    "Bogor",
    "Cibubur",
]


def setup_django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layani.config.settings")
    django.setup()


class TextMaker:
    """Varied customer-service messages: a demo script text, sometimes an extra sentence,
    and a few dictionary words drawn so that word frequencies fall off like real text."""

    def __init__(self, rng: random.Random) -> None:
        from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

        from layani.demo.texts import SCRIPTS

        self.rng = rng
        self.scripts = [
            text
            for scripts in SCRIPTS.values()
            for s in scripts
            for text in (s.opening, s.reply, s.note, s.follow_up, s.closing)
            if text
        ]
        words = [w for w in StemmerFactory().get_words() if w.isalpha() and len(w) >= 4]
        rng.shuffle(words)
        self.tail = words

    def tail_word(self) -> str:
        # Log-uniform rank: P(rank r) ~ 1/r, a Zipf law over the dictionary.
        return self.tail[int(len(self.tail) ** self.rng.random()) - 1]

    def text(self, name: str) -> str:
        rng = self.rng
        parts = [rng.choice(self.scripts).replace("{name}", name)]
        if rng.random() < 0.6:
            parts.append(
                rng.choice(EXTRA_SENTENCES).format(
                    amount=f"{rng.randrange(10, 50_000) * 1000:,}".replace(",", "."),
                    date=f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}",
                    place=rng.choice(PLACES),
                    ref=f"TRX{rng.randrange(10**9):09d}",
                    days=rng.randrange(2, 15),
                    year=rng.randrange(2005, 2024),
                )
            )
        parts.append(" ".join(self.tail_word() for _ in range(rng.randrange(0, 4))))
        return " ".join(p for p in parts if p)


def fill(scale: int) -> dict[str, Any]:
    """Top messages up to MESSAGES_PER_CONVERSATION and build the search index by COPY."""
    setup_django()
    from datetime import timedelta

    from django.db import connection, transaction

    from layani.conversations.models import (
        Conversation,
        DeliveryStatus,
        Direction,
        Message,
    )
    from layani.customers.models import Customer
    from layani.demo.bulk_load import relaxed_checks, reserve_ids, write_rows
    from layani.demo.volume import MESSAGE_COLUMNS

    rng = random.Random(2024)
    maker = TextMaker(rng)
    began = time.monotonic()
    counts = _message_counts()
    names = dict(Customer.objects.values_list("id", "full_name"))
    rows: list[tuple[Any, ...]] = []
    written = 0

    def flush() -> None:
        nonlocal rows, written
        if not rows:
            return
        with transaction.atomic():
            first = reserve_ids(Message, len(rows))
            numbered = [(first + i, *row) for i, row in enumerate(rows)]
        with transaction.atomic(), relaxed_checks():
            written += write_rows(Message, MESSAGE_COLUMNS, numbered)
        rows = []

    conversations = Conversation.objects.values_list("id", "channel", "created_at", "customer_id")
    for conversation_id, channel, created_at, customer_id in conversations.iterator(20_000):
        first_name = (names.get(customer_id) or "Kak").split()[0]
        for n in range(counts.get(conversation_id, 0), MESSAGES_PER_CONVERSATION):
            direction = rng.choices(
                [Direction.INBOUND, Direction.OUTBOUND, Direction.NOTE], [0.5, 0.4, 0.1]
            )[0]
            rows.append(
                (
                    conversation_id,
                    channel,
                    direction,
                    maker.text(first_name),
                    "",
                    None,
                    DeliveryStatus.RECEIVED,
                    None,
                    created_at + timedelta(minutes=10 * (n + 1)),
                    None,
                    "{}",
                )
            )
        if len(rows) >= 20_000:
            flush()
    flush()
    messages_seconds = time.monotonic() - began
    index = build_index(connection)
    return {
        "messages_added": written,
        "messages": Message.objects.count(),
        "conversations": Conversation.objects.count(),
        "customers": Customer.objects.count(),
        "messages_seconds": round(messages_seconds, 1),
        **index,
    }


def _message_counts() -> dict[int, int]:
    from django.db.models import Count

    from layani.conversations.models import Message

    return dict(
        Message.objects.order_by()
        .values_list("conversation_id")
        .annotate(n=Count("id"))
        .values_list("conversation_id", "n")
    )


STAGING_COLUMNS = (
    "key varchar(40), kind varchar(20), message_id bigint, conversation_id bigint, "
    "customer_id bigint, created_at timestamptz, content text, status varchar(20), "
    "channel varchar(20), purpose varchar(20), priority smallint, branch_id bigint, "
    "team_id bigint, assignee_id bigint"
)


def build_index(connection: Any) -> dict[str, Any]:
    """The rows `layani reindex` writes, in the order they would have been written live.

    Rows are computed in Python (`message_document`...) and COPYed into an unlogged staging
    table, then moved into the index table ordered by time, so ids follow time as they do
    when messages arrive one by one (a load ordered by kind would put every subject and
    customer after every message, which no real index looks like). The GIN index is built
    after the load.
    """
    from django.db.models import Prefetch

    from layani.conversations.models import Conversation, Message
    from layani.customers.models import Customer, CustomerIdentity
    from layani.search.indexing import (
        DOCUMENT_COLUMNS,
        customer_document,
        document_row,
        message_document,
        subject_document,
    )
    from layani.search.models import FACET_FIELDS

    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS search_staging")
        cursor.execute(f"CREATE UNLOGGED TABLE search_staging ({STAGING_COLUMNS})")
    names = ", ".join(DOCUMENT_COLUMNS)

    def copy(rows: list[tuple[Any, ...]]) -> None:
        with connection.cursor() as cursor:
            raw = cursor.connection.cursor()
            with raw.copy(f"COPY search_staging ({names}) FROM STDIN") as copying:
                for row in rows:
                    copying.write_row(row)

    def load(documents: Any) -> int:
        # In batches: the documents are read through a server-side cursor on the same
        # connection, which cannot fetch while a COPY is in progress.
        batch: list[tuple[Any, ...]] = []
        total = 0
        for document in documents:
            if document is not None:
                batch.append(document_row(document))
            if len(batch) >= 20_000:
                copy(batch)
                total += len(batch)
                batch = []
        copy(batch)
        return total + len(batch)

    fields = ("pk", "conversation_id", "direction", "body_text", "body_html", "created_at")
    facets = [f"conversation__{name}" for name in FACET_FIELDS]
    messages = Message.objects.order_by("pk").values_list(*fields, *facets)
    documents = load(
        message_document(
            message_id=pk,
            conversation_id=conversation_id,
            direction=direction,
            body_text=body_text,
            body_html=body_html,
            created_at=created_at,
            facets=dict(zip(FACET_FIELDS, values, strict=True)),
        )
        for pk, conversation_id, direction, body_text, body_html, created_at, *values in (
            messages.iterator(20_000)
        )
    )
    conversations = Conversation.objects.order_by("pk").only(
        "pk", "subject", "created_at", *FACET_FIELDS
    )
    documents += load(subject_document(c) for c in conversations.iterator(20_000))
    customers = Customer.objects.order_by("pk").prefetch_related(
        Prefetch(
            "identities", queryset=CustomerIdentity.objects.only("customer_id", "kind", "value")
        )
    )
    documents += load(customer_document(c, c.identities.all()) for c in customers.iterator(5_000))
    compute_seconds = time.monotonic() - began
    return {
        "documents": documents,
        "index_compute_seconds": round(compute_seconds, 1),
        **move_in_time_order(connection),
    }


def move_in_time_order(connection: Any) -> dict[str, Any]:
    """search_staging -> search_searchdocument ordered by time; then the GIN indexes."""
    from layani.search.indexing import DOCUMENT_COLUMNS
    from layani.search.segments import drop_segments, ensure_segments

    names = ", ".join(DOCUMENT_COLUMNS)
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        drop_segments()  # every GIN index of the table (`layani.search.segments`)
        cursor.execute("TRUNCATE search_searchdocument RESTART IDENTITY")
        cursor.execute("SET session_replication_role = replica")  # rows are consistent
        cursor.execute(
            f"INSERT INTO search_searchdocument ({names}) "
            f"SELECT {names} FROM search_staging ORDER BY created_at"
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("DROP TABLE search_staging")
        insert_seconds = time.monotonic() - began
        began = time.monotonic()
        ensure_segments(concurrently=False)
        for table in (
            "search_searchdocument",
            "conversations_message",
            "conversations_conversation",
        ):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute("SELECT pg_total_relation_size('search_searchdocument')")
        size = cursor.fetchone()[0]
    return {
        "index_insert_seconds": round(insert_seconds, 1),
        "gin_and_vacuum_seconds": round(time.monotonic() - began, 1),
        "index_bytes": size,
    }
