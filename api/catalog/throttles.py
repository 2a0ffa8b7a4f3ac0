from api.throttles import AtomicWindow


class SearchRateThrottle(AtomicWindow):
    """Requests with a `search` term count against the rate of the scope `search`; the others pass.

    A search costs the database far more than a plain page: a trigram index,
    then every matching row for its count (bench/search.py). So searches
    get a tighter rate of their own per client (THROTTLE_SEARCH_RATE), on
    top of the rates every request counts against.
    """

    scope = "search"

    def allow_request(self, request, view):
        # The filter ignores a blank term, and so does the throttle.
        if not request.query_params.get("search", "").strip():
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        # The list is public (no token is read): a client is its address,
        # NUM_PROXIES deep in X-Forwarded-For.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
