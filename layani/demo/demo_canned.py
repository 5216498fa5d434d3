"""The demo's canned replies: the answers a bank's contact centre gives every day, in
Indonesian (and a few in English), with the placeholders `conversations.canned` fills."""

from layani.conversations.models import CannedReply
from layani.demo import catalogue
from layani.demo.business import Business

# (team name or None for everyone, language, shortcut, title, text)
REPLIES: list[tuple[str | None, str, str, str, str]] = [
    (
        None,
        "id",
        "salam",
        "Salam pembuka",
        "Selamat datang di Bank Sentosa Nusantara, Bapak/Ibu {nama_pelanggan}. Saya "
        "{nama_agen}, ada yang bisa kami bantu?",
    ),
    (
        None,
        "id",
        "cek",
        "Sedang kami cek",
        "Terima kasih, Bapak/Ibu {nama_pelanggan}. Laporan Anda kami catat dengan nomor "
        "{nomor_tiket} dan sedang kami periksa. Jawaban kami kirimkan paling lambat "
        "{perkiraan_waktu}.",
    ),
    (
        None,
        "id",
        "penutup",
        "Penutup",
        "Terima kasih telah menghubungi Bank Sentosa Nusantara. Jika ada pertanyaan lain "
        "mengenai {nomor_tiket}, cukup balas pesan ini. Salam, {nama_agen}",
    ),
    (
        None,
        "en",
        "hello-en",
        "Greeting",
        "Welcome to Bank Sentosa Nusantara, {customer_name}. I am {agent_name}; how may we "
        "help you?",
    ),
    (
        catalogue.COMPLAINTS_TEAM,
        "id",
        "dana-kembali",
        "Pengembalian dana diproses",
        "Bapak/Ibu {nama_pelanggan}, pengajuan pengembalian dana Anda ({nomor_tiket}) sudah "
        "kami teruskan. Dana akan kembali ke rekening Anda paling lambat {perkiraan_waktu}.",
    ),
    (
        catalogue.COMPLAINTS_TEAM,
        "id",
        "kartu-blokir",
        "Kartu sudah diblokir",
        "Kartu Anda sudah kami blokir demi keamanan, Bapak/Ibu {nama_pelanggan}. Kartu "
        "pengganti dapat diambil di cabang terdekat dengan membawa KTP.",
    ),
    (
        catalogue.PRIORITY_TEAM,
        "id",
        "kredit-jadwal",
        "Jadwal konsultasi kredit",
        "Bapak/Ibu {nama_pelanggan}, kami ingin menjadwalkan konsultasi kredit dengan "
        "petugas kami. Mohon informasikan waktu yang Anda inginkan.",
    ),
]


def create_canned_replies(business: Business) -> int:
    CannedReply.objects.bulk_create(
        [
            CannedReply(
                team=business.teams[team] if team else None,
                language=language,
                shortcut=shortcut,
                title=title,
                body=body,
            )
            for team, language, shortcut, title, body in REPLIES
        ]
    )
    return len(REPLIES)
