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
