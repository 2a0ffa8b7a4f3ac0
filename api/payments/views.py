from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.operations.accept import accept_operation
from api.operations.serializers import OperationSerializer
from api.public import PublicEndpoint
from domain.operations.kinds import PAYMENT_INITIATE, PaymentInitiateArguments
from domain.payments.webhooks import receive_webhook
from tasks.jobs import dispatch_after_commit

from .serializers import PaymentInitiateSerializer


class PaymentInitiateView(APIView):
    @extend_schema(
        request=PaymentInitiateSerializer,
        responses={202: OpenApiResponse(OperationSerializer, description="Accepted: poll the operation's status_url.")},
    )
    def post(self, request):
        serializer = PaymentInitiateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return accept_operation(
            request,
            kind=PAYMENT_INITIATE,
            arguments=PaymentInitiateArguments(**serializer.validated_data),
            admit=serializer.admit,
        )


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
        with transaction.atomic():
            event, created = receive_webhook(self.provider, request.body, request.headers)
            if created:
                dispatch_after_commit(event)
        return Response({"detail": "ok" if created else "duplicate"})
