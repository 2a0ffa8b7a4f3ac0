"""Helpers shared by the recommendation tests (this module holds no tests)."""

RECOMMENDED_URL = "/api/properties/recommended/"


def naive_subtree(category) -> list:
    """The reference: a recursive walk, one query per category."""
    return [category] + [c for child in category.children.all() for c in naive_subtree(child)]


def expected_ids(category) -> list[int]:
    """What the recommendations under `category` must be, read naively from the database."""
    from domain.properties.models import Property

    listed = [
        p
        for c in naive_subtree(category)
        for p in c.properties.all()
        if p.status == Property.Status.ACTIVE and p.is_available
    ]
    return [p.id for p in sorted(listed, key=lambda p: (p.created_at, p.id), reverse=True)]


def get_recommended(client, category_id, **params):
    """GET the recommendations under a category; `params` are more query parameters."""
    return client.get(RECOMMENDED_URL, {"category_id": category_id, **params})


def recommended_ids(client, category_id) -> list[int]:
    """The ids recommended under a category, in order, over every page (each must answer 200)."""
    response = get_recommended(client, category_id, page_size=100)
    ids = []
    while True:
        assert response.status_code == 200, response.content
        ids += [row["id"] for row in response.json()["results"]]
        if not response.json()["next"]:
            return ids
        response = client.get(response.json()["next"])


def file_cache_at(path) -> dict:
    """CACHES for Django's file cache in `path`: the embedded stack's cache."""
    return {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(path)}}


def list_is_cached(category_id) -> bool:
    """Whether the next request for `category_id` is a hit, on whichever cache is configured."""
    from django.core.cache import cache

    from domain.cache_redis import cache_redis
    from domain.properties import recommendation_cache, recommendation_lists

    if cache_redis() is not None:
        return recommendation_lists.cached_list(category_id=category_id, fallback=list) is not None
    return cache.get(recommendation_cache.ids_key(category_id)) is not None
