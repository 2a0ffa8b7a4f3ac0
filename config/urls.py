from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from api.docs import SchemaView, SwaggerView

from .media import serve_media
from .metrics_view import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("metrics", metrics, name="metrics"),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("api.urls")),
    path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", serve_media, name="media"),
]

handler400 = "api.errors.bad_request"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
