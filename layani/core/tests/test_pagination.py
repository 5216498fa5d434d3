import pytest

from layani.core.errors import InvalidInput
from layani.core.pagination import keyset_page
from layani.customers.models import Customer


@pytest.mark.django_db
@pytest.mark.parametrize("descending", [False, True])
def test_walking_pages_visits_every_row_once_even_with_equal_sort_keys(descending):
    # Many customers share a name, so the id must break ties between pages.
    for i in range(23):
        Customer.objects.create(full_name="x", search_name=f"name{i % 4}")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = keyset_page(
            Customer.objects.all(),
            fields=("search_name", "id"),
            cursor=cursor,
            limit=5,
            descending=descending,
        )
        seen += [c.pk for c in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = list(
        Customer.objects.order_by(
            *(["-search_name", "-id"] if descending else ["search_name", "id"])
        ).values_list("pk", flat=True)
    )
    assert seen == expected
    assert pages == 5


@pytest.mark.django_db
def test_a_forged_cursor_is_a_clear_error():
    with pytest.raises(InvalidInput) as excinfo:
        keyset_page(Customer.objects.all(), fields=("id",), cursor="not-a-cursor", limit=5)
    assert excinfo.value.field == "cursor"
