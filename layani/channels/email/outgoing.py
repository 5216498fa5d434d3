"""Our reply as a mail that threads in the customer's mail client, and its delivery by SMTP.

Message-ID is ours (`<layani-<message id>-<digest>@<mailbox domain>>`, the same on every
retry, so a receiver can drop a repeat); In-Reply-To and References continue the customer's
last mail; the subject carries the ticket token. A system message (an acknowledgement) is
marked `Auto-Submitted: auto-replied` and is never sent in answer to an automatic mail.
"""

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from django.conf import settings
from django.utils import timezone

from layani.channels.base import SendFailed
from layani.channels.email.mailbox import Mailbox, Server
from layani.channels.email.parsing import _AUTOMATIC_SENDERS
from layani.channels.email.threading import reply_subject
from layani.conversations.models import Direction, Message
from layani.conversations.recipients import address_for
from layani.core.choices import Channel

MAX_REFERENCES = 20
SMTP_TIMEOUT = 30


def our_message_id(message: Message, mailbox: Mailbox) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{message.pk}".encode()).hexdigest()[:16]
    return f"layani-{message.pk}-{digest}@{mailbox.domain}"


def _last_inbound(message: Message) -> Message | None:
    return (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            direction=Direction.INBOUND,
            channel=Channel.EMAIL,
            created_at__lte=message.created_at,
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def recipient_of(message: Message) -> str:
    conversation = message.conversation
    customer = conversation.customer
    identities = list(customer.identities.all()) if customer is not None else []
    address = address_for(conversation, Channel.EMAIL, identities)
    if not address:
        raise SendFailed("the customer has no email address")
    return address


def build_mail(message: Message, mailbox: Mailbox) -> tuple[EmailMessage, str, str]:
    """(the mail, its Message-ID without brackets, the recipient)."""
    recipient = recipient_of(message)
    previous = _last_inbound(message)
    automatic = bool((message.meta or {}).get("automatic"))
    if automatic and (
        _AUTOMATIC_SENDERS.match(recipient)
        or (previous is not None and (previous.meta or {}).get("auto_submitted"))
    ):
        raise SendFailed("not sent: an automatic message never answers an automatic mail")
    message_id = our_message_id(message, mailbox)
    mail = EmailMessage()
    mail["From"] = Address(display_name=mailbox.display_name, addr_spec=mailbox.address)
    mail["To"] = recipient
    subject = (previous.meta or {}).get("subject", "") if previous is not None else ""
    mail["Subject"] = reply_subject(
        subject or message.conversation.subject, message.conversation_id
    )
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = f"<{message_id}>"
    if previous is not None and previous.external_id:
        meta = previous.meta or {}
        references = [*meta.get("references", []), previous.external_id][-MAX_REFERENCES:]
        mail["In-Reply-To"] = f"<{previous.external_id}>"
        mail["References"] = " ".join(f"<{ref}>" for ref in references)
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(message.body_text)
    for attachment in message.attachments.all():
        if not attachment.file:
            continue
        with attachment.file.open("rb") as handle:
            content = handle.read()
        maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition(
            "/"
        )
        mail.add_attachment(
            content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return mail, message_id, recipient


def _connect(server: Server) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.security == "tls":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT)
        if server.security == "starttls":
            client.starttls(context=context)
    if server.password:
        client.login(server.username, server.password)
    return client


def deliver(mail: EmailMessage, mailbox: Mailbox, recipient: str) -> None:
    """Hand the mail to the SMTP server. A permanent refusal (5xx, bad credentials) is
    `SendFailed`; a temporary one (4xx, a connection error) raises for a retry."""
    if mailbox.smtp is None:
        raise SendFailed("the mailbox has no SMTP server configured")
    try:
        client = _connect(mailbox.smtp)
        try:
            client.send_message(mail, from_addr=mailbox.address, to_addrs=[recipient])
        finally:
            try:
                client.quit()
            except smtplib.SMTPException:
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        raise SendFailed(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        if all(code >= 500 for code in codes):
            raise SendFailed(f"recipient refused: {exc.recipients}") from exc
        raise
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        if exc.smtp_code >= 500:
            raise SendFailed(f"SMTP refused the mail: {exc.smtp_code} {exc.smtp_error!r}") from exc
        raise
