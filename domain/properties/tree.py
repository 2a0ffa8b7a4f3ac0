from collections.abc import Iterable

from django.db import connection

from .models import Category


def category_subtree_ids(root_id: int) -> list[int]:
    """The ids of `root_id` and all its descendants, in depth-first order.

    The whole tree is read in one query, however deep; the search itself runs
    in memory and visits each category once, so a cycle in bad data ends it
    instead of hanging it. An unknown root gives [].
    """
    children: dict[int | None, list[int]] = {}
    known = set()
    for category_id, parent_id in Category.objects.order_by("name", "id").values_list("id", "parent_id"):
        children.setdefault(parent_id, []).append(category_id)
        known.add(category_id)
    if root_id not in known:
        return []
    order, seen, stack = [], set(), [root_id]
    while stack:
        category_id = stack.pop()
        if category_id in seen:
            continue
        seen.add(category_id)
        order.append(category_id)
        stack.extend(reversed(children.get(category_id, [])))
    return order


def ancestor_ids(category_ids: Iterable[int]) -> set[int]:
    """`category_ids` (whether they still exist or not: a deleted one) and all the ancestors of those
    that exist, in one query that reads only them: O(depth), whatever the tree's size."""
    category_ids = list(category_ids)
    return set(category_ids).union(*ancestor_ids_of_each(category_ids).values())


def ancestor_ids_of_each(category_ids: Iterable[int]) -> dict[int, set[int]]:
    """For each of `category_ids`, itself and its ancestors (a deleted one: itself alone), in one query
    that reads only them: O(depth) rows per category, whatever the tree's size.

    A recursive CTE climbs the parent links, carrying where each climb began;
    UNION (not UNION ALL) drops a row met before, so a cycle in bad data ends
    the climb.
    """
    category_ids = list(dict.fromkeys(category_ids))
    found = {category_id: {category_id} for category_id in category_ids}
    if not category_ids:
        return found
    table = connection.ops.quote_name(Category._meta.db_table)
    placeholders = ", ".join(["%s"] * len(category_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE up(start_id, id, parent_id) AS (
                SELECT id, id, parent_id FROM {table} WHERE id IN ({placeholders})
                UNION
                SELECT up.start_id, category.id, category.parent_id
                FROM {table} AS category JOIN up ON category.id = up.parent_id
            )
            SELECT start_id, id FROM up
            """,
            category_ids,
        )
        for start_id, category_id in cursor.fetchall():
            found[start_id].add(category_id)
    return found
