import pytest

from layani.core.errors import InvalidInput
from layani.core.pagination import keyset_page
from layani.customers.models import Customer


@pytest.mark.django_db
@pytest.mark.parametrize("ids_first", [False, True])
@pytest.mark.parametrize("descending", [False, True])
def test_walking_pages_visits_every_row_once_even_with_equal_sort_keys(descending, ids_first):
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
            rows_of=(lambda ids: Customer.objects.filter(pk__in=ids)) if ids_first else None,
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


@pytest.mark.django_db
def test_picking_ids_first_keeps_the_conditions_and_refuses_distinct():
    for i in range(6):
        Customer.objects.create(full_name=f"c{i}", search_name=f"n{i}")
    odd = Customer.objects.filter(search_name__in=["n1", "n3", "n5"])
    page = keyset_page(
        odd,
        fields=("search_name", "id"),
        cursor=None,
        limit=2,
        rows_of=lambda ids: Customer.objects.filter(pk__in=ids),
    )
    assert [c.search_name for c in page.items] == ["n1", "n3"]
    with pytest.raises(ValueError):
        keyset_page(
            odd.distinct(),
            fields=("search_name", "id"),
            cursor=None,
            limit=2,
            rows_of=lambda ids: Customer.objects.filter(pk__in=ids),
        )
