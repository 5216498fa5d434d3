import pytest

from layani.core.errors import InvalidInput
from layani.customers.identities import normalise_identity, normalise_name, normalise_phone


@pytest.mark.parametrize(
    "raw",
    ["0812-3456-7890", "0812 3456 7890", "+62 812 3456 7890", "62812 34567890", "+6281234567890"],
)
def test_indonesian_mobile_numbers_become_e164(raw):
    assert normalise_phone(raw) == "+6281234567890"


def test_jakarta_landline_keeps_its_area_code():
    assert normalise_phone("(021) 5790 1234") == "+622157901234"


@pytest.mark.parametrize("raw", ["12", "abc", "0812", "+62 000 0000"])
def test_invalid_numbers_are_rejected_naming_the_field(raw):
    with pytest.raises(InvalidInput) as excinfo:
        normalise_phone(raw)
    assert excinfo.value.field == "phone"
    assert excinfo.value.code == "invalid_phone"


def test_email_is_lower_cased_and_validated():
    assert normalise_identity("email", " Budi.Santoso@Mail.CO.ID ") == "budi.santoso@mail.co.id"
    with pytest.raises(InvalidInput):
        normalise_identity("email", "budi@")


def test_names_are_searched_lower_case_without_accents():
    assert normalise_name("  Dewi   SARI  ") == "dewi sari"
    assert normalise_name("Renée") == "renee"
