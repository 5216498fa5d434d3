"""Indonesian people for the demo: names, mobile numbers, e-mail addresses, what matters.

Names come from faker's `id_ID` provider, drawn into pools once so that generating a
million rows costs a list index per value, not a faker call. Everything is driven by a
`random.Random` passed in, so a fixed seed gives the same people on every run.
"""

import random
import re

import phonenumbers
from faker.providers.person.id_ID import Provider as IndonesianNames

# Mobile prefixes in use in Indonesia (Telkomsel, Indosat, XL, Axis, Smartfren, Tri).
MOBILE_PREFIXES = (
    "811",
    "812",
    "813",
    "821",
    "822",
    "823",
    "851",
    "852",
    "853",
    "814",
    "815",
    "816",
    "855",
    "856",
    "857",
    "858",
    "817",
    "818",
    "819",
    "859",
    "877",
    "878",
    "831",
    "832",
    "833",
    "838",
    "881",
    "882",
    "883",
    "895",
    "896",
    "897",
    "898",
    "899",
)
SUBSCRIBER_SPACE = 10**8  # eight digits after the prefix: +62 812 1234 5678
_SCRAMBLE = 48_271_211  # odd and not a multiple of 5, so x -> x * _SCRAMBLE is a bijection

EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.co.id",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "ymail.com",
)

TITLES_BEFORE = ("Dr. ", "Ir. ", "drg. ")
TITLES_AFTER = (", S.E.", ", S.H.", ", S.Kom.", ", M.M.", ", S.T.", ", S.Pd.")

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


class NamePool:
    """Precomputed given names and family-style names, by gender: a few list lookups a name.

    Many Indonesian second names are gendered (Yulianti, Hartati vs. Wibowo, Santoso), so
    a person's names are all drawn from one gender's lists.
    """

    def __init__(self) -> None:
        self.given = (
            sorted(set(IndonesianNames.first_names_female)),
            sorted(set(IndonesianNames.first_names_male)),
        )
        self.family = (
            sorted(set(IndonesianNames.last_names_female)),
            sorted(set(IndonesianNames.last_names_male)),
        )
        self.first = self.given[0] + self.given[1]
        self.last = self.family[0] + self.family[1]

    def parts(self, rng: random.Random) -> tuple[str, ...]:
        """A person's names, e.g. ("Sari", "Wulandari") or ("Budi", "Cahyo", "Santoso")."""
        gender = rng.random() < 0.5
        roll = rng.random()
        first = rng.choice(self.given[gender])
        if roll < 0.1:  # a single name, still common in Java
            return (first,)
        last = rng.choice(self.family[gender])
        if roll > 0.8:
            return first, rng.choice(self.given[gender]), last
        return first, last

    def full_name(self, rng: random.Random, *, titles: bool = True) -> str:
        name = " ".join(self.parts(rng))
        if titles and rng.random() < 0.04:
            name = rng.choice(TITLES_BEFORE) + name
        elif titles and rng.random() < 0.05:
            name += rng.choice(TITLES_AFTER)
        return name


def given_name(full_name: str) -> str:
    """How an agent addresses the customer: the first word of the name that is not a title
    ("Ir. Budi Santoso, S.T." -> "Budi"), or "Kak" when the name is all titles."""
    words = [w for w in full_name.replace(",", " ").split() if not w.endswith(".")]
    return (words[0] if words else "Kak").title()


def mobile_number(index: int) -> str:
    """The `index`-th demo mobile number in E.164; distinct indexes give distinct numbers."""
    prefix = MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]
    subscriber = (index // len(MOBILE_PREFIXES) * _SCRAMBLE + 13_579_024) % SUBSCRIBER_SPACE
    return f"+62{prefix}{subscriber:08d}"


def random_mobile_number(rng: random.Random) -> str:
    return f"+62{rng.choice(MOBILE_PREFIXES)}{rng.randrange(SUBSCRIBER_SPACE):08d}"


def is_valid_mobile_number(e164: str) -> bool:
    number = phonenumbers.parse(e164, "ID")
    return (
        phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164
    )


def email_local_part(full_name: str, rng: random.Random) -> str:
    """How Indonesians pick addresses: `sari.wulandari`, `budi_santoso87`, `rina1990`."""
    words = [w for w in _NOT_ALNUM.sub(" ", full_name.lower()).split() if len(w) > 2]
    words = [w for w in words if w not in {"dr", "ir", "drg", "hj"}] or ["pelanggan"]
    first, last = words[0], words[-1]
    style = rng.randrange(4)
    if style == 0 and first != last:
        return f"{first}.{last}"
    if style == 1 and first != last:
        return f"{first}_{last}{rng.randrange(70, 100)}"
    if style == 2:
        return f"{first}{rng.randrange(1965, 2006)}"
    return f"{first}{last[:1]}{rng.randrange(10, 1000)}"


def telegram_username(full_name: str, rng: random.Random) -> str:
    words = _NOT_ALNUM.sub(" ", full_name.lower()).split() or ["user"]
    return f"{words[0]}_{words[-1][:4]}{rng.randrange(10, 100)}"


def instagram_handle(full_name: str, rng: random.Random) -> str:
    words = _NOT_ALNUM.sub(" ", full_name.lower()).split() or ["user"]
    return f"{words[0]}.{words[-1]}{rng.randrange(1, 100)}"


# What matters to a customer: (text, tags). Short, concrete, the way staff would write it.
WHAT_MATTERS: list[tuple[str, list[str]]] = [
    ("Lebih suka dihubungi lewat WhatsApp setelah jam 17.00.", ["wa-saja", "sore-hari"]),
    ("Lansia, butuh dibantu pelan-pelan. Biasanya datang ditemani anaknya.", ["lansia"]),
    ("Tidak mau ditelepon saat jam kerja; cukup kirim email.", ["email-saja"]),
    (
        "Pengusaha katering, sering setor tunai dalam jumlah besar setiap Senin pagi.",
        ["umkm", "setor-besar"],
    ),
    (
        "Pernah kecewa karena antrean lama; tolong beri kabar perkiraan waktu tunggu.",
        ["pernah-komplain", "info-waktu-tunggu"],
    ),
    (
        "Penyandang disabilitas (kursi roda). Siapkan loket yang mudah dijangkau.",
        ["disabilitas", "aksesibilitas"],
    ),
    ("Lebih nyaman dilayani dalam Bahasa Inggris.", ["bahasa-inggris"]),
    ("Ingin selalu dilayani oleh petugas yang sama.", ["kontinuitas"]),
    ("Sedang mengurus restrukturisasi KPR; sensitif soal tagihan.", ["kpr", "restrukturisasi"]),
    ("Tuna rungu; gunakan tulisan atau chat, jangan telepon.", ["tuna-rungu", "chat-saja"]),
    ("Guru SD, hanya bisa datang hari Sabtu.", ["sabtu-saja"]),
    (
        "Nasabah prioritas sejak lama, menghargai kecepatan dan kerahasiaan.",
        ["prioritas", "kerahasiaan"],
    ),
    ("Sering ke luar kota; konfirmasi transaksi besar lewat telepon dulu.", ["konfirmasi-telepon"]),
    (
        "Baru pertama kali punya rekening bank; jelaskan biaya administrasi dengan jelas.",
        ["nasabah-baru", "jelaskan-biaya"],
    ),
    ("Mahasiswa, tertarik tabungan tanpa biaya bulanan.", ["mahasiswa"]),
    ("Ibu hamil, mohon didahulukan bila antre.", ["prioritas-antrean"]),
    ("Mengelola rekening usaha toko bangunan bersama suami.", ["umkm", "rekening-bersama"]),
    (
        "Sudah tiga kali lapor kartu tertelan ATM; tangani dengan serius.",
        ["pernah-komplain", "risiko-churn"],
    ),
    ("Lebih suka notifikasi lewat Telegram daripada SMS.", ["telegram"]),
    ("Tidak mau ditawari produk asuransi lagi.", ["tanpa-penawaran"]),
]
