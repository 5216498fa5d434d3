from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from layani.core.choices import Channel, Language, Purpose


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")
    BRANCH_STAFF = "branch_staff", _("Branch staff")
    TECHNICIAN = "technician", _("Technician")
    KIOSK = "kiosk", _("Kiosk device")


def default_capacity() -> dict[str, int]:
    return {"phone": 1, "chat": 3, "email": 10}


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    branches = models.ManyToManyField(
        "branches.Branch", blank=True, related_name="teams", verbose_name=_("branches")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A person (or a kiosk device) who works in Layani, on top of Django's user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff",
        verbose_name=_("user"),
    )
    display_name = models.CharField(_("display name"), max_length=120)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, db_index=True)
    branches = models.ManyToManyField(
        "branches.Branch", blank=True, related_name="staff", verbose_name=_("branches")
    )
    teams = models.ManyToManyField(
        Team, blank=True, related_name="members", verbose_name=_("teams")
    )
    capacity = models.JSONField(
        _("capacity"),
        default=default_capacity,
        help_text=_('Concurrent work per kind, e.g. {"phone": 1, "chat": 3, "email": 10}.'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        if not isinstance(self.capacity, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in self.capacity.items()
        ):
            raise ValidationError(
                {"capacity": _("Capacity must map a kind of work to a whole number.")}
            )


class SkillKind(models.TextChoices):
    PURPOSE = "purpose", _("Purpose")
    SERVICE = "service", _("Service")
    CHANNEL = "channel", _("Channel")
    LANGUAGE = "language", _("Language")


SKILL_VALUES: dict[str, list[str]] = {
    SkillKind.PURPOSE: Purpose.values,
    SkillKind.CHANNEL: Channel.values,
    SkillKind.LANGUAGE: Language.values,
}


class StaffSkill(models.Model):
    """One skill of a staff member: a purpose, a service (by code), a channel or a language.

    `level` (1-5) lets routing prefer the strongest match.
    """

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="skills")
    kind = models.CharField(_("kind"), max_length=20, choices=SkillKind.choices)
    value = models.CharField(_("value"), max_length=60)
    level = models.PositiveSmallIntegerField(_("level"), default=3)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            models.UniqueConstraint(fields=["staff", "kind", "value"], name="staff_skill_unique"),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="staff_skill_level_1_5"
            ),
        ]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self) -> None:
        allowed = SKILL_VALUES.get(self.kind)
        if allowed is not None and self.value not in allowed:
            raise ValidationError({"value": _("Unknown value for this kind of skill.")})
        if self.kind == SkillKind.SERVICE:
            from layani.branches.models import Service

            if not Service.objects.filter(code=self.value).exists():
                raise ValidationError({"value": _("No service has this code.")})


class ApiToken(models.Model):
    """A bearer token for an integration. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
