"""The demo business as plain data: Bank Sentosa Nusantara, its branches, hours and services.

Nothing here touches the database; `business.py` turns it into rows.
"""

from dataclasses import dataclass
from datetime import time

from layani.core.choices import Purpose

BUSINESS_NAME = "Bank Sentosa Nusantara"
EMAIL_DOMAIN = "sentosanusantara.co.id"


@dataclass(frozen=True)
class BranchFacts:
    code: str
    name: str
    address: str
    timezone: str
    city: str


BRANCHES: list[BranchFacts] = [
    BranchFacts(
        "jkt-pusat",
        "Jakarta Pusat",
        "Jl. M.H. Thamrin No. 28, Gondangdia, Menteng, Jakarta Pusat 10350",
        "Asia/Jakarta",
        "Jakarta",
    ),
    BranchFacts(
        "bdg-asia-afrika",
        "Bandung",
        "Jl. Asia Afrika No. 118, Braga, Sumur Bandung, Kota Bandung 40111",
        "Asia/Jakarta",
        "Bandung",
    ),
    BranchFacts(
        "sby-basuki-rahmat",
        "Surabaya",
        "Jl. Basuki Rahmat No. 67, Embong Kaliasin, Genteng, Surabaya 60271",
        "Asia/Jakarta",
        "Surabaya",
    ),
    BranchFacts(
        "mks-sam-ratulangi",
        "Makassar",
        "Jl. Dr. Sam Ratulangi No. 45, Mariso, Kota Makassar 90121",
        "Asia/Makassar",
        "Makassar",
    ),
    BranchFacts(
        "dps-teuku-umar",
        "Denpasar",
        "Jl. Teuku Umar No. 150, Dauh Puri Kauh, Denpasar Barat, Kota Denpasar 80113",
        "Asia/Makassar",
        "Denpasar",
    ),
]

# The branch whose presence means "the demo business is already here".
MARKER_BRANCH_CODE = BRANCHES[0].code
HOME_BRANCH_CODE = BRANCHES[0].code
SECOND_BRANCH_CODE = BRANCHES[1].code

# weekday (0 = Monday) -> opening periods in the branch's own zone.
# Friday closes for Friday prayers; Saturday is a short morning.
_WEEKDAY = [(time(8, 0), time(15, 0))]
OPENING_PERIODS: dict[int, list[tuple[time, time]]] = {
    0: _WEEKDAY,
    1: _WEEKDAY,
    2: _WEEKDAY,
    3: _WEEKDAY,
    4: [(time(8, 0), time(11, 30)), (time(13, 0), time(15, 0))],
    5: [(time(8, 0), time(12, 0))],
}


@dataclass(frozen=True)
class ServiceFacts:
    code: str
    purpose: str
    name_id: str
    name_en: str
    ticket_prefix: str
    handling_minutes: int
    share: int  # relative share of walk-ins that come for this service


# Prefixes skip I and O, which read like 1 and 0 on a ticket.
SERVICES: list[ServiceFacts] = [
    ServiceFacts(
        "teller", Purpose.ROUTINE, "Setor & tarik tunai", "Cash deposit & withdrawal", "A", 5, 30
    ),
    ServiceFacts(
        "ganti-kartu",
        Purpose.ROUTINE,
        "Ganti kartu ATM & buku tabungan",
        "Replace ATM card & passbook",
        "B",
        10,
        14,
    ),
    ServiceFacts(
        "ubah-data", Purpose.ROUTINE, "Pembaruan data nasabah", "Update customer data", "C", 8, 8
    ),
    ServiceFacts(
        "bayar-transfer",
        Purpose.ROUTINE,
        "Pembayaran & transfer",
        "Payments & transfers",
        "D",
        6,
        10,
    ),
    ServiceFacts(
        "keluhan-transaksi",
        Purpose.COMPLAINT,
        "Pengaduan transaksi & kartu",
        "Transaction & card complaints",
        "E",
        20,
        8,
    ),
    ServiceFacts(
        "keluhan-layanan", Purpose.COMPLAINT, "Pengaduan layanan", "Service complaints", "F", 15, 3
    ),
    ServiceFacts(
        "kredit",
        Purpose.SPECIAL_REQUEST,
        "Kredit & restrukturisasi pinjaman",
        "Loans & restructuring",
        "G",
        30,
        5,
    ),
    ServiceFacts(
        "surat-keterangan",
        Purpose.SPECIAL_REQUEST,
        "Surat referensi & keterangan bank",
        "Bank reference letters",
        "H",
        15,
        3,
    ),
    ServiceFacts(
        "buka-rekening",
        Purpose.PROSPECT,
        "Pembukaan rekening baru",
        "Open a new account",
        "J",
        25,
        9,
    ),
    ServiceFacts(
        "info-produk",
        Purpose.PROSPECT,
        "Informasi produk & konsultasi",
        "Product information & advice",
        "K",
        15,
        6,
    ),
]


@dataclass(frozen=True)
class CounterFacts:
    number: int
    name: str
    service_codes: tuple[str, ...]


_CASH = ("teller", "bayar-transfer")
_CUSTOMER_SERVICE = ("ganti-kartu", "ubah-data", "keluhan-layanan", "buka-rekening", "info-produk")
_SPECIALIST = ("kredit", "surat-keterangan", "keluhan-transaksi")

# The same counters in every branch: two tellers, customer service, a specialist desk.
COUNTERS: list[CounterFacts] = [
    CounterFacts(1, "Loket 1 · Teller", _CASH),
    CounterFacts(2, "Loket 2 · Teller", _CASH),
    CounterFacts(3, "Loket 3 · Customer Service", _CUSTOMER_SERVICE),
    CounterFacts(4, "Meja 4 · Kredit & Prioritas", (*_SPECIALIST, "buka-rekening")),
]


@dataclass(frozen=True)
class TeamFacts:
    name: str
    branch_codes: tuple[str, ...] = ()


CONTACT_CENTRE_TEAM = "Contact Center"
COMPLAINTS_TEAM = "Penanganan Keluhan"
PRIORITY_TEAM = "Layanan Prioritas & Kredit"

TEAMS: list[TeamFacts] = [
    TeamFacts(CONTACT_CENTRE_TEAM),
    TeamFacts(COMPLAINTS_TEAM),
    TeamFacts(PRIORITY_TEAM),
    *[TeamFacts(f"Cabang {b.name}", (b.code,)) for b in BRANCHES],
]


def branch_team_name(branch_code: str) -> str:
    return next(f"Cabang {b.name}" for b in BRANCHES if b.code == branch_code)


# Tags agents put on conversations, by purpose, and a few that fit any case.
TAGS_BY_PURPOSE: dict[str, tuple[str, ...]] = {
    "routine": ("mobile-banking", "kartu-atm", "ubah-data", "info-produk"),
    "complaint": ("refund", "transaksi-gagal", "eskalasi", "fraud", "biaya-admin"),
    "special_request": ("kredit", "kpr", "pengecualian", "dokumen"),
    "prospect": ("prospek", "tabungan-baru", "kartu-kredit"),
}
COMMON_TAGS = ("vip", "follow-up", "keluhan-berulang")
