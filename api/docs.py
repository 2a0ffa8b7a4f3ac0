"""The OpenAPI document and its Swagger UI page (public): drf-spectacular's views, minus their 500s."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


class SchemaView(SpectacularAPIView):
    """The schema of the API's one version: `?version=` is not read.

    drf-spectacular, with no versioning configured, takes any `?version=`
    and writes it verbatim into the Content-Disposition header, where a
    newline or a NUL cannot go (a 500).
    """

    def _get_version_parameter(self, request):
        return None


class SwaggerView(SpectacularSwaggerView):
    """The Swagger UI page, for GET and HEAD alone.

    DRF answers OPTIONS with its metadata, which the page's only renderer
    (an HTML template) cannot render: it was a 500.
    """

    http_method_names = ["get", "head"]
