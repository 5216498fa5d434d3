from ninja import Schema


class ServiceOut(Schema):
    id: int
    code: str
    purpose: str
    name_id: str
    name_en: str
    ticket_prefix: str
    default_handling_minutes: int


class OpeningHoursOut(Schema):
    weekday: int
    opens_at: str
    closes_at: str

    @staticmethod
    def resolve_opens_at(obj) -> str:
        return obj.opens_at.strftime("%H:%M")

    @staticmethod
    def resolve_closes_at(obj) -> str:
        return obj.closes_at.strftime("%H:%M")


class BranchOut(Schema):
    id: int
    code: str
    name: str
    address: str
    timezone: str
    opening_hours: list[OpeningHoursOut]
    services: list[ServiceOut]

    @staticmethod
    def resolve_opening_hours(obj) -> list:
        return list(obj.opening_hours.all())

    @staticmethod
    def resolve_services(obj) -> list:
        return [s for s in obj.services.all() if s.is_active]
