from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.operations.accept import accept_operation
from api.operations.serializers import OperationSerializer
from api.public import PublicEndpoint
from domain.operations.models import Operation
from domain.payments.providers.base import InvalidWebhook
from domain.payments.webhooks import receive_webhook
from tasks.webhooks import dispatch_webhook_event

from .serializers import PaymentInitiateSerializer


class PaymentInitiateView(APIView):
    @extend_schema(
        request=PaymentInitiateSerializer,
        responses={202: OpenApiResponse(OperationSerializer, description="Accepted: poll the operation's status_url.")},
    )
    def post(self, request):
        serializer = PaymentInitiateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return accept_operation(request, Operation.Kind.PAYMENT_INITIATE, serializer.validated_data)


class PaymentWebhookView(PublicEndpoint, APIView):
    """A provider's signed notice that a payment succeeded or failed.

    Public: the signature over the raw body is the authentication. Not
    throttled either: a provider's retries must never be answered 429, and a
    forged request costs one HMAC. `request.data` is never read, so the body
    checked is exactly the bytes the provider signed.
    """

    provider = None  # set per route in urls.py
    throttle_classes = []

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter("Stripe-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, description="Stripe only"),
            OpenApiParameter("X-BKash-Signature", OpenApiTypes.STR, OpenApiParameter.HEADER, description="bKash only"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        try:
            with transaction.atomic():
                event, created = receive_webhook(self.provider, request.body, request.headers)
                if created:
                    # After the commit, or the worker could look for a row not
                    # yet there. Robust: with the broker down the event is
                    # still stored and acknowledged, and the sweep applies it later.
                    # (A lambda: Django logs a failed callback by its __qualname__.)
                    transaction.on_commit(lambda: dispatch_webhook_event(event.pk), robust=True)
        except InvalidWebhook as error:
            return Response({"detail": error.detail}, status=400)
        return Response({"detail": "ok" if created else "duplicate"})
