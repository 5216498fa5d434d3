"""What people write beyond the scripts: more turns of a conversation, in Indonesian.

A script (`texts.SCRIPTS`) gives a case its opening, reply and, for some, a note, a
follow-up and a closing. Longer conversations need more turns: the customer chasing an
answer, sending details, the agent asking for data or reporting progress, a colleague's
note. Customers on chat channels often write informally ("udh", "gak", "makasih"), which
is what the search normalisation has to undo, so some customer texts are written that way.

Every text is a tuple of parts joined by a space; the search index normalises each part
once (`search_rows.IndexText`), because a text's terms are its parts' terms in order.
"""

import random

from layani.demo.texts import Script

# The customer writes again before anybody answered.
CHASERS = [
    "Halo, apakah ada yang bisa bantu?",
    "Min, tolong dibalas ya.",
    "Sudah dua jam belum ada jawaban.",
    "Halo kak? Masih menunggu jawaban.",
    "Mohon segera ditindaklanjuti, ini mendesak.",
    "Gimana min, udh dicek blm?",
    "Saya tunggu kabarnya secepatnya.",
    "Apakah pesan saya sudah diterima?",
    "Tolong direspon, saya sudah telepon tapi tidak tersambung.",
    "Ping. Masih belum ada balasan.",
]

# The customer answers an agent's question or reports how it went.
CUSTOMER_TURNS = [
    "Baik, sudah saya coba tapi masih gagal.",
    "Oke kak, ditunggu kabarnya.",
    "Maaf baru balas, tadi sedang di jalan.",
    "Apakah bisa lebih cepat? Saya butuh dananya hari ini.",
    "Sudah saya foto struknya, saya lampirkan di sini.",
    "Masih belum masuk juga sampai sekarang.",
    "Tidak bisa login dari kemarin, sudah coba instal ulang aplikasinya.",
    "Nomor rekening saya yang berakhiran 4471.",
    "Tanggal lahir saya sudah sesuai KTP, kenapa ditolak?",
    "Baik, besok saya ke cabang membawa dokumen aslinya.",
    "Kalau lewat aplikasi bisa tidak? Saya tidak sempat ke cabang.",
    "Sudah saya kirim emailnya barusan.",
    "Saya tidak menerima kode OTP sama sekali.",
    "Terima kasih, saya tunggu konfirmasinya.",
    "Berapa lama prosesnya biasanya?",
    "Apakah ada biaya tambahan untuk ini?",
]

# Details customers add to a message: amounts, dates, places, references.
DETAILS = [
    "Nominalnya Rp {amount}, tanggal {date}.",
    "Transaksinya di ATM {place} sekitar jam {hour}.",
    "Nomor referensinya {ref}.",
    "Sudah {days} hari belum ada kabar.",
    "Mohon info kapan dana dikembalikan ke rekening saya.",
    "Sudah saya laporkan ke cabang {place} minggu lalu.",
    "Saya nasabah sejak {year}, baru kali ini kecewa.",
    "Struk transaksinya masih saya simpan.",
    "Kalau perlu saya kirim foto KTP dan buku tabungan.",
    "Notifikasi SMS tidak masuk sejak ganti HP.",
    "Mesin EDC di toko daerah {place} menolak kartu saya.",
    "Tagihan bulan ini Rp {amount}, tidak sesuai pemakaian.",
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
    "Kebayoran",
    "Denpasar",
    "Simpang Lima",
    "Kelapa Gading",
]

# Agent replies that fit any case. {name} is the customer's first name.
AGENT_TURNS = [
    "Terima kasih {name}, mohon ditunggu, kami cek terlebih dahulu ya.",
    "Baik {name}, boleh dibantu nomor rekening dan tanggal transaksinya?",
    "Mohon maaf atas ketidaknyamanannya, {name}. Laporan sudah kami teruskan ke tim terkait.",
    "Sudah kami cek, {name}: prosesnya paling lambat 7 hari kerja.",
    "Untuk keamanan, mohon jangan kirim PIN atau kode OTP kepada siapa pun, {name}.",
    "Kami sudah menghubungi tim terkait dan menunggu konfirmasi mereka, {name}.",
    "Boleh kirimkan tangkapan layar pesan galatnya, {name}?",
    "Dokumen sudah kami terima dengan lengkap, terima kasih {name}.",
]
CLOSINGS = [
    "Sama-sama {name}. Apakah masih ada yang bisa kami bantu?",
    "Terima kasih sudah menghubungi kami, {name}. Semoga harinya menyenangkan.",
    "Kami tutup laporan ini ya, {name}. Silakan hubungi kami kembali bila ada kendala.",
    "Senang bisa membantu, {name}.",
]
NOTES = [
    "Sudah dicek di core banking, transaksi berstatus pending.",
    "Eskalasi ke tim kartu, menunggu konfirmasi.",
    "Nasabah prioritas, mohon ditangani cepat.",
    "Sudah konfirmasi ke cabang, dokumen lengkap.",
    "Menunggu persetujuan supervisor untuk pengecualian biaya.",
    "Nasabah minta dihubungi sore hari.",
    "Kemungkinan phishing, nomor pengirim diteruskan ke tim fraud.",
    "Sudah dua kali menghubungi untuk hal yang sama.",
]

# How customers shorten words in chat (the normaliser expands these back).
INFORMAL = [
    ("tidak ", "gak "),
    ("sudah ", "udh "),
    ("belum ", "blm "),
    ("yang ", "yg "),
    ("tolong ", "tlg "),
    ("terima kasih", "makasih"),
    ("Terima kasih", "Makasih"),
    ("saya ", "sy "),
]

# Phone calls, callbacks and walk-ins are documented by staff as notes.
DOCUMENTED_PREFIX = {
    "phone": "Nasabah menelepon:",
    "callback": "Telepon balik:",
    "in_person": "Nasabah datang ke cabang:",
}

Text = tuple[str, ...]


class MessageTexts:
    """Chooses the text of each turn of a conversation that follows `script`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._informal: dict[str, str] = {}

    def _name(self, template: str, name: str) -> str:
        return template.replace("{name}", name)

    def _detail(self) -> str:
        rng = self.rng
        return rng.choice(DETAILS).format(
            amount=f"{rng.randrange(10, 50_000) * 1000:,}".replace(",", "."),
            date=f"{rng.randrange(1, 29)}/{rng.randrange(1, 13)}",
            place=rng.choice(PLACES),
            hour=f"{rng.randrange(6, 23):02d}.{rng.randrange(0, 60, 5):02d}",
            ref=f"TRX{rng.randrange(10**9):09d}",
            days=rng.randrange(2, 15),
            year=rng.randrange(1995, 2024),
        )

    def _casual(self, text: str) -> str:
        informal = self._informal.get(text)
        if informal is None:
            informal = text
            for formal, short in INFORMAL:
                informal = informal.replace(formal, short)
            self._informal[text] = informal
        return informal

    def customer(self, text: str, *, chat: bool, detail: float) -> Text:
        """A customer's message: `text`, informal on chat channels now and then, sometimes
        with a detail (amount, place, reference) added."""
        rng = self.rng
        if chat and rng.random() < 0.35:
            text = self._casual(text)
        if rng.random() < detail:
            return (text, self._detail())
        return (text,)

    def opening(self, script: Script, *, chat: bool) -> Text:
        return self.customer(script.opening, chat=chat, detail=0.4)

    def chaser(self, *, chat: bool) -> Text:
        return self.customer(self.rng.choice(CHASERS), chat=chat, detail=0.1)

    def customer_turn(self, script: Script, turn: int, *, chat: bool) -> Text:
        """The customer's `turn`-th answer (0 = the first after an agent's reply)."""
        if turn == 0 and script.follow_up:
            return self.customer(script.follow_up, chat=chat, detail=0.1)
        return self.customer(self.rng.choice(CUSTOMER_TURNS), chat=chat, detail=0.3)

    def agent_turn(self, script: Script, turn: int, name: str, *, last: bool) -> Text:
        """The agent's `turn`-th reply (0 = the first); `last` when it ends the case."""
        if turn == 0:
            return (self._name(script.reply, name),)
        if last:
            closing = script.closing or self.rng.choice(CLOSINGS)
            return (self._name(closing, name),)
        return (self._name(self.rng.choice(AGENT_TURNS), name),)

    def note(self, script: Script, first: bool) -> Text:
        if first and script.note:
            return (script.note,)
        return (self.rng.choice(NOTES),)


def documented(channel: str, direction: str, text: Text) -> Text:
    """The text as staff document a call or a walk-in (every message becomes a note)."""
    if direction == "in":
        return (DOCUMENTED_PREFIX.get(channel, "Nasabah menelepon:"), *text)
    if direction == "out":
        return ("Dijawab:", *text)
    return text


def joined(text: Text) -> str:
    return " ".join(text)
