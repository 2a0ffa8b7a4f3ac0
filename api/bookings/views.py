from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.views import APIView

from api.operations.accept import accept_operation
from api.operations.serializers import OperationSerializer
from domain.bookings.models import Booking
from domain.bookings.selectors import bookings_of
from domain.operations.kinds import BOOKING_CANCEL, BOOKING_CREATE, BookingCancelArguments, BookingCreateArguments

from .serializers import BookingCreateSerializer, BookingSerializer

ACCEPTED = {202: OpenApiResponse(OperationSerializer, description="Accepted: poll the operation's status_url.")}


class BookingCreateView(APIView):
    @extend_schema(request=BookingCreateSerializer, responses=ACCEPTED)
    def post(self, request):
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return accept_operation(
            request,
            kind=BOOKING_CREATE,
            arguments=BookingCreateArguments(**serializer.validated_data),
            admit=serializer.admit,
        )


class CallersBookings:
    """The caller's bookings: another user's is not found."""

    serializer_class = BookingSerializer
    # The model, for the schema, which is generated with no user to ask for.
    queryset = Booking.objects.none()

    def get_queryset(self):
        return bookings_of(self.request.user)


class BookingListView(CallersBookings, ListAPIView):
    pass


class BookingDetailView(CallersBookings, RetrieveAPIView):
    pass


class BookingCancelView(APIView):
    @extend_schema(request=None, responses=ACCEPTED)
    def post(self, request, pk):
        def admit():
            # Someone else's booking is a 404 at once; whether it can still be
            # canceled is decided by the task under the lock.
            get_object_or_404(bookings_of(request.user), pk=pk)

        return accept_operation(
            request, kind=BOOKING_CANCEL, arguments=BookingCancelArguments(booking_id=pk), admit=admit
        )
