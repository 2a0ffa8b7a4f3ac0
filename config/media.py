from django.conf import settings
from django.http import Http404
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def serve_media(request, path):
    """An uploaded file from MEDIA_ROOT, when this process serves media itself (SERVE_MEDIA).

    Django's `serve` keeps the path inside MEDIA_ROOT and lists no folder;
    SecurityMiddleware's nosniff keeps a browser to the type the name says.
    MEDIA_ROOT is read per request, not when the URLs are loaded.
    """
    if not settings.SERVE_MEDIA:
        raise Http404("Media are not served here.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
