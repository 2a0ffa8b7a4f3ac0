"""The OpenAPI document and its Swagger UI page (public): drf-spectacular's views, minus their 500s."""

from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    """The schema of the API's one version: `?version=` is not read.

    drf-spectacular, with no versioning configured, takes any `?version=`
    and writes it verbatim into the Content-Disposition header, where a
    newline or a NUL cannot go (a 500).
    """

    def _get_version_parameter(self, request):
        return None
