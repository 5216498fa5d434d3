"""What customers and staff of the demo bank write, in Indonesian, by purpose.

A script is one typical case: the subject, the customer's first message, the reply and,
for longer cases, an internal note and a follow-up. `{name}` is the customer's first name.
"""

from dataclasses import dataclass

from layani.core.choices import Purpose


@dataclass(frozen=True)
class Script:
    subject: str
    opening: str
    reply: str
    note: str = ""
    follow_up: str = ""
    closing: str = ""


SCRIPTS: dict[str, list[Script]] = {
    Purpose.ROUTINE: [
        Script(
            "Cek saldo dan mutasi rekening",
            "Selamat pagi, saya mau minta mutasi rekening tabungan 3 bulan terakhir untuk "
            "keperluan visa. Bisa dikirim lewat email?",
            "Selamat pagi Bapak/Ibu {name}. Bisa, rekening koran 3 bulan terakhir sudah kami "
            "kirim ke email terdaftar dalam bentuk PDF berpassword (tanggal lahir, DDMMYYYY).",
            follow_up="Sudah saya terima, terima kasih banyak.",
            closing="Sama-sama, semoga urusan visanya lancar.",
        ),
        Script(
            "Ganti kartu ATM yang sudah expired",
            "Kartu ATM saya habis masa berlakunya akhir bulan ini. Apakah harus ke cabang atau "
            "bisa diantar?",
            "Halo {name}, penggantian kartu yang habis masa berlaku bisa di cabang mana saja "
            "dengan membawa KTP dan buku tabungan, gratis dan selesai sekitar 10 menit.",
            follow_up="Oke, saya ke cabang Sabtu pagi ya.",
        ),
        Script(
            "Perubahan nomor HP untuk SMS notifikasi",
            "Saya ganti nomor HP. Bagaimana cara mengubah nomor untuk notifikasi SMS dan OTP?",
            "Baik {name}, demi keamanan perubahan nomor untuk OTP dilakukan di cabang atau "
            "lewat video call terverifikasi. Mau kami jadwalkan video call?",
            note="Nasabah minta video call sore hari, sudah dijadwalkan lewat kalender tim.",
            follow_up="Boleh, besok jam 4 sore ya.",
            closing="Sudah terjadwal besok pukul 16.00 WIB. Terima kasih.",
        ),
        Script(
            "Limit transfer harian",
            "Bagaimana cara menaikkan limit transfer harian di mobile banking? Sekarang cuma "
            "10 juta.",
            "Halo {name}, limit bisa dinaikkan sampai Rp 100.000.000 lewat menu Pengaturan > "
            "Limit Transaksi, lalu verifikasi wajah. Kalau gagal, kami bantu dari sini.",
        ),
        Script(
            "Pembayaran PBB lewat mobile banking",
            "Apakah bisa bayar PBB Kota Bandung lewat aplikasi? Saya tidak menemukan menunya.",
            "Bisa {name}. Menu Bayar > Pajak Daerah > PBB, lalu pilih Kota Bandung dan masukkan "
            "NOP 18 digit.",
            follow_up="Sudah berhasil, makasih min.",
        ),
        Script(
            "Buku tabungan penuh",
            "Buku tabungan saya sudah penuh, apakah penggantiannya dikenakan biaya?",
            "Penggantian buku tabungan yang penuh tidak dikenakan biaya, {name}. Cukup bawa buku "
            "lama dan KTP ke cabang terdekat.",
        ),
        Script(
            "Pengkinian data nasabah",
            "Saya dapat SMS untuk update data nasabah. Apakah ini resmi dari bank?",
            "Terima kasih sudah mengecek, {name}. Pengkinian data resmi hanya lewat aplikasi atau "
            "cabang, kami tidak pernah meminta OTP atau PIN lewat SMS maupun telepon.",
            note="Kemungkinan SMS phishing; nomor pengirim diteruskan ke tim fraud.",
        ),
        Script(
            "Jam operasional cabang hari Sabtu",
            "Cabang buka hari Sabtu tidak? Saya kerja Senin sampai Jumat.",
            "Halo {name}, cabang kami buka Sabtu pukul 08.00-12.00 waktu setempat untuk layanan "
            "teller dan customer service.",
        ),
    ],
    Purpose.COMPLAINT: [
        Script(
            "Kartu ATM tertelan di mesin",
            "Kartu ATM saya tertelan di ATM dekat stasiun tadi malam. Tolong diblokir segera!",
            "Mohon maaf atas ketidaknyamanannya, {name}. Kartu sudah kami blokir. Kartu "
            "pengganti bisa diambil di cabang mana saja mulai besok.",
            note="Blokir kartu dilakukan 19.42; laporan mesin ATM diteruskan ke vendor.",
            follow_up="Terima kasih responnya cepat.",
        ),
        Script(
            "Saldo terpotong tapi transfer gagal",
            "Saya transfer ke rekening bank lain Rp 2.500.000, saldo terpotong tapi penerima "
            "belum terima. Sudah 2 hari!",
            "Mohon maaf {name}. Kami sudah membuka investigasi dengan nomor referensi "
            "TRX-20417. Dana akan dikembalikan otomatis paling lambat 7 hari kerja bila "
            "transaksi dinyatakan gagal.",
            note="Cek switching: status suspect. Eskalasi ke tim rekonsiliasi.",
            follow_up="Dananya sudah kembali hari ini. Tapi tolong prosesnya dipercepat lain kali.",
            closing="Terima kasih atas masukannya, {name}. Kami catat untuk perbaikan.",
        ),
        Script(
            "Antrean di cabang terlalu lama",
            "Saya antre hampir 2 jam di cabang hanya untuk ganti kartu. Loket yang buka cuma "
            "dua. Sangat mengecewakan.",
            "Kami mohon maaf atas waktu tunggu yang lama, {name}. Masukan ini kami teruskan ke "
            "kepala cabang untuk penambahan petugas di jam sibuk.",
            note="Keluhan waktu tunggu ketiga minggu ini di cabang yang sama.",
        ),
        Script(
            "Tagihan biaya admin tidak sesuai",
            "Kenapa saya kena biaya administrasi Rp 15.000 bulan ini? Biasanya Rp 10.000.",
            "Halo {name}, ada tambahan biaya kartu debit GPN sejak bulan ini. Karena belum "
            "diinformasikan dengan jelas, selisih Rp 5.000 kami kembalikan.",
        ),
        Script(
            "Aplikasi mobile banking error terus",
            "Aplikasi force close setiap buka menu transfer. HP saya Android 13.",
            "Mohon maaf {name}. Silakan perbarui aplikasi ke versi terbaru dan hapus cache. Bila "
            "masih terjadi, kirim tangkapan layar agar kami teruskan ke tim IT.",
            follow_up="Sudah update tapi masih sama.",
            closing="Terima kasih, tiket IT sudah kami buat dan akan kami kabari perkembangannya.",
        ),
        Script(
            "Petugas kurang ramah",
            "Petugas teller kemarin bicaranya ketus dan tidak menjelaskan kenapa setoran saya "
            "ditolak.",
            "Kami mohon maaf, {name}. Ini tidak sesuai standar layanan kami. Kepala cabang akan "
            "menghubungi Bapak/Ibu untuk menjelaskan dan menindaklanjuti.",
            note="Diteruskan ke kepala cabang; coaching untuk petugas terkait.",
        ),
    ],
    Purpose.SPECIAL_REQUEST: [
        Script(
            "Permohonan restrukturisasi KPR",
            "Usaha saya sedang turun. Apakah cicilan KPR bisa diringankan beberapa bulan?",
            "Bisa kami bantu ajukan, {name}. Mohon siapkan laporan penghasilan 6 bulan terakhir; "
            "analis kredit akan menghubungi dalam 3 hari kerja.",
            note="Kandidat restrukturisasi: perpanjangan tenor 24 bulan.",
            follow_up="Dokumen sudah saya kirim lewat email ya.",
        ),
        Script(
            "Surat referensi bank untuk visa",
            "Saya butuh surat referensi bank berbahasa Inggris untuk pengajuan visa Schengen.",
            "Baik {name}, surat referensi bisa selesai 2 hari kerja. Biaya Rp 50.000 didebet "
            "dari rekening. Mau diambil di cabang mana?",
            follow_up="Di cabang Jakarta Pusat saja.",
        ),
        Script(
            "Penambahan limit kartu kredit sementara",
            "Bulan depan saya ada operasi di rumah sakit. Bisa naikkan limit kartu sementara?",
            "Semoga lancar operasinya, {name}. Kenaikan limit sementara bisa sampai 50% selama "
            "30 hari; kami butuh estimasi biaya dari rumah sakit.",
        ),
        Script(
            "Sewa safe deposit box",
            "Apakah masih ada safe deposit box ukuran sedang yang kosong?",
            "Masih ada, {name}. Ukuran sedang Rp 1.250.000 per tahun. Silakan buat janji dengan "
            "petugas layanan prioritas.",
        ),
    ],
    Purpose.PROSPECT: [
        Script(
            "Buka rekening untuk usaha",
            "Saya punya warung kopi dan ingin buka rekening giro untuk usaha. Syaratnya apa saja?",
            "Terima kasih atas minatnya, {name}! Untuk usaha perorangan cukup KTP, NPWP dan NIB. "
            "Petugas kami bisa membantu di cabang atau datang ke lokasi usaha.",
            follow_up="Boleh datang ke lokasi? Saya di daerah Kebayoran.",
        ),
        Script(
            "Tanya bunga deposito",
            "Berapa bunga deposito 12 bulan sekarang? Saya ada dana sekitar 200 juta.",
            "Halo {name}, bunga deposito 12 bulan saat ini 4,5% per tahun untuk nominal di atas "
            "Rp 100 juta. Mau kami bantu simulasi?",
        ),
        Script(
            "Tabungan pendidikan anak",
            "Ada produk tabungan untuk biaya kuliah anak 10 tahun lagi?",
            "Ada, {name}: Tabungan Rencana Pendidikan dengan setoran bulanan mulai Rp 200.000 dan "
            "asuransi jiwa gratis. Kami kirimkan brosurnya.",
        ),
        Script(
            "Informasi KPR rumah pertama",
            "Saya karyawan swasta, mau tanya KPR untuk rumah pertama di Makassar. DP minimal "
            "berapa?",
            "Terima kasih, {name}. Untuk rumah pertama DP mulai 10% dengan bunga fixed 3 tahun. "
            "Konsultan KPR kami akan menghubungi untuk simulasi.",
            follow_up="Baik, saya tunggu telepon konsultannya.",
        ),
    ],
}

VISIT_NOTES = [
    "",
    "",
    "",
    "",
    "",
    "Mau setor tunai untuk usaha",
    "Kartu hilang",
    "Ganti buku tabungan",
    "Tanya KPR",
    "Ambil surat referensi",
    "Mau buka rekening anak",
    "Komplain transfer gagal",
]

OUTCOMES = {
    Purpose.ROUTINE: [
        "Selesai.",
        "Kartu baru diserahkan.",
        "Data diperbarui.",
        "Setoran diterima.",
    ],
    Purpose.COMPLAINT: [
        "Laporan dicatat, investigasi dibuka.",
        "Dana dikembalikan.",
        "Diteruskan ke kepala cabang.",
    ],
    Purpose.SPECIAL_REQUEST: [
        "Berkas lengkap, diteruskan ke analis.",
        "Surat siap diambil 2 hari lagi.",
    ],
    Purpose.PROSPECT: ["Rekening baru dibuka.", "Brosur diberikan, akan dihubungi kembali."],
}
