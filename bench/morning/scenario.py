"""The shape of the morning: how many come, for what, who serves them, how long it takes.

Times are simulated (real-morning) seconds; the run divides them by `--speed`.
"""

import math
import random
from typing import NamedTuple

HOUR = 3600.0  # simulated seconds of arrivals
CHECK_INS = 300
KNOWN_SHARE = 0.30  # check-ins by a known customer's phone or member number
NEW_PHONE_SHARE = 0.12  # a phone we have not seen: a new customer or prospect is recorded
REMOTE_SHARE = 0.10  # joins from outside through the public link
PRIORITY_SHARE = 0.08
NOTE_SHARE = 0.20
FEEDBACK_SHARE = 0.40
NO_SHOW_SHARE = 0.03  # called, recalled twice, never comes
LATE_SHARE = 0.04  # comes after one recall
TRANSFER_SHARE = 0.03
OUT_OF_ORDER_AT = (0.4, 0.7)  # Loket 5 calls a ticket out of order at these points
WALK_SIM = (10.0, 30.0)  # seconds from the call to the visitor at the counter
POLL_SIM = 8.0  # a clerk with nobody waiting looks again after this many simulated seconds
MAX_SIM_HOURS = 3.0


class ServiceSpec(NamedTuple):
    code: str
    purpose: str
    name_id: str
    name_en: str
    prefix: str
    minutes: int  # default handling time; service times are lognormal around it
    share: float  # of arrivals


SERVICES = [
    ServiceSpec("tunai", "routine", "Setor & tarik tunai", "Cash in & out", "A", 1, 0.45),
    ServiceSpec("tagihan", "routine", "Pembayaran tagihan", "Bill payment", "B", 1, 0.28),
    ServiceSpec("kartu", "routine", "Ganti kartu ATM", "Replace ATM card", "C", 2, 0.06),
    ServiceSpec("pengaduan", "complaint", "Pengaduan transaksi", "Complaint", "K", 3, 0.06),
    ServiceSpec("kredit", "special_request", "Kredit khusus", "Special credit", "S", 3, 0.04),
    ServiceSpec("rekening", "prospect", "Buka rekening baru", "New account", "N", 2, 0.11),
]
SPEC = {s.code: s for s in SERVICES}
# What visitors write in "ceritakan singkat".
NOTES = {
    "tunai": ["Setor tunai hasil usaha warung", "Tarik tunai di atas limit ATM"],
    "tagihan": ["Bayar PBB tahun ini", "Bayar uang sekolah anak"],
    "kartu": ["Kartu ATM hilang di pasar", "Kartu tertelan mesin ATM kemarin"],
    "pengaduan": ["Saldo terpotong dua kali", "Transfer belum masuk sejak kemarin"],
    "kredit": ["Tanya restrukturisasi KUR", "Kredit renovasi rumah, jaminan sertifikat"],
    "rekening": ["Ingin buka tabungan untuk anak", "Buka rekening giro untuk usaha"],
}
TRANSFER_TO = {
    "tunai": "pengaduan",
    "tagihan": "kartu",
    "kartu": "pengaduan",
    "pengaduan": "kredit",
    "kredit": "rekening",
    "rekening": "kredit",
}
# Clerk name and skill level per service code; the last one works in the browser window.
ALL_SERVICES = {"tunai": 3, "tagihan": 3, "kartu": 3, "pengaduan": 3, "kredit": 2, "rekening": 3}
CLERKS = [
    ("Dian Teller", {"tunai": 5, "tagihan": 4}),
    ("Rudi Teller", {"tunai": 4, "tagihan": 5}),
    ("Maya Teller", {"tunai": 3, "tagihan": 3, "kartu": 4}),
    ("Agus CS", {"kartu": 4, "pengaduan": 4, "rekening": 5}),
    ("Fitri CS", {"pengaduan": 5, "kredit": 5, "rekening": 4}),
    ("Yusuf Loket 6", ALL_SERVICES),
]
FIRST = ["Budi", "Siti", "Agus", "Dewi", "Rudi", "Sri", "Andi", "Putri", "Joko", "Rina"]
LAST = ["Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Kusuma", "Siregar"]
MOBILE_PREFIXES = ["812", "813", "821", "852", "815", "857", "817", "818", "859", "877", "895"]
COMMENTS = {
    5: ["Pelayanan cepat, terima kasih", "Petugas ramah dan jelas"],
    4: ["Cukup cepat", "Baik, tapi ruang tunggu penuh"],
    3: ["Antrean agak lama"],
    2: ["Antrean terlalu lama, tolong tambah loket"],
    1: ["Menunggu lama sekali dan tidak ada informasi"],
}


def mobile(rng: random.Random) -> str:
    return "+62" + rng.choice(MOBILE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))


def service_seconds(rng: random.Random, minutes: int) -> float:
    """Lognormal around the service's default handling time (median 85 %, mean ~94 %)."""
    return rng.lognormvariate(math.log(minutes * 60 * 0.85), 0.45)
