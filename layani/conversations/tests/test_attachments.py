"""Files that came with a message: shown in the thread, served only to staff who may see
the conversation."""

from typing import Any

import pytest
from django.urls import reverse

from layani.conversations.attachments import AttachmentInput
from layani.conversations.models import MessageAttachment
from layani.conversations.tests.pages import write
from layani.staff.models import Role

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def with_files(customer: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path
    return write(
        customer,
        "Ini foto struk dan surat kuasanya",
        attachments=[
            AttachmentInput(filename="struk.png", content_type="image/png", content=PNG),
            AttachmentInput(
                filename="../../surat kuasa.docx",
                content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                content=b"PK\x03\x04 word",
            ),
            AttachmentInput(filename="video.mp4", content_type="video/mp4", media_ref="wa-123"),
        ],
    )


def test_the_thread_shows_images_files_and_files_still_coming(signed_in, with_files):
    page = signed_in.get(reverse("inbox:conversation", args=[with_files.pk])).content.decode()
    image, document, pending = MessageAttachment.objects.order_by("pk")
    assert document.filename == "surat kuasa.docx"  # no path from the sender's side
    assert f'<img src="{reverse("inbox:attachment", args=[image.pk])}"' in page
    link = reverse("inbox:attachment", args=[document.pk])
    assert f'<a href="{link}">surat kuasa.docx</a>' in page
    assert "video.mp4" in page and f'data-attachment="{pending.pk}"' in page


def test_files_are_served_to_staff_who_see_the_conversation_and_nobody_else(
    client, signed_in, with_files, make_person
):
    image, document, pending = MessageAttachment.objects.order_by("pk")
    shown = signed_in.get(reverse("inbox:attachment", args=[image.pk]))
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG
    download = signed_in.get(reverse("inbox:attachment", args=[document.pk]))
    assert download["Content-Type"] == "application/octet-stream"
    assert "attachment;" in download["Content-Disposition"]
    assert signed_in.get(reverse("inbox:attachment", args=[pending.pk])).status_code == 404
    signed_in.logout()
    kiosk = make_person(Role.KIOSK)
    client.force_login(kiosk)
    assert client.get(reverse("inbox:attachment", args=[image.pk])).status_code in (403, 404)
