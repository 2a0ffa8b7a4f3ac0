from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenBlacklistView, TokenObtainPairView, TokenRefreshView

from api.public import PublicEndpoint
from api.throttles import ScopedRateThrottle
from domain.notices.services import request_password_reset
from domain.users.passwords import change_password, reset_password
from domain.users.services import register_user

from .serializers import (
    LoginSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetSerializer,
    RefreshSerializer,
    RegisterSerializer,
    UserSerializer,
)


class AuthThrottled:
    """Throttled per client under the scope `auth` (THROTTLE_AUTH_RATE), to slow guessing."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class RegisterView(AuthThrottled, PublicEndpoint, APIView):
    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = register_user(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(AuthThrottled, TokenObtainPairView):
    """simplejwt's token pair view, its tokens carrying the user's token version."""

    serializer_class = LoginSerializer


class RefreshView(TokenRefreshView):
    """simplejwt's refresh: with ROTATE_REFRESH_TOKENS it answers a new refresh token and blacklists the one given."""

    serializer_class = RefreshSerializer


class LogoutView(TokenBlacklistView):
    """Sign out: the refresh token given is refused from then on (205: the client resets its state)."""

    serializer_class = LogoutSerializer
    # simplejwt's token views are public; signing out is the user's.
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request, *args, **kwargs):
        super().post(request, *args, **kwargs)
        return Response(status=status.HTTP_205_RESET_CONTENT)


class PasswordChangeView(APIView):
    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change_password(user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(AuthThrottled, PublicEndpoint, APIView):
    """Record the reset link's notice (queued after the commit), whether or not an account has the address:
    the answer and its time are the same either way (the worker finds the account, or records none)."""

    @extend_schema(request=PasswordResetSerializer, responses={202: None})
    def post(self, request):
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        request_password_reset(email=serializer.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(AuthThrottled, PublicEndpoint, APIView):
    @extend_schema(request=PasswordResetConfirmSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordResetConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reset_password(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(generics.RetrieveAPIView):
    serializer_class = UserSerializer

    def get_object(self):
        return self.request.user
