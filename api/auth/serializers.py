from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import (
    TokenBlacklistSerializer,
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings

from domain.users.models import User
from domain.users.sessions import lock_refresh_token

from .tokens import VersionedRefreshToken, refuse_if_password_changed


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name"]
        read_only_fields = fields


class RegisterSerializer(serializers.ModelSerializer):
    """Validates a sign-up; the user is created by `domain.users.services.register_user`."""

    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})

    class Meta:
        model = User
        fields = ["username", "email", "password", "first_name", "last_name"]
        extra_kwargs = {"email": {"required": True, "allow_blank": False}}

    def validate(self, attrs):
        # Validators such as UserAttributeSimilarityValidator compare the
        # password with the user's other fields, so they get the would-be user.
        would_be_user = User(**{name: value for name, value in attrs.items() if name != "password"})
        try:
            password_validation.validate_password(attrs["password"], would_be_user)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from None
        return attrs


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, with a deleted user's token a 401 like an inactive user's, and a token issued
    before the user's last password change refused like an access token.

    simplejwt looks the user up with .get() and lets DoesNotExist escape (a 500).
    One token refreshed several times at once is rotated once: the others wait
    for its lock, then find it blacklisted. A refresh rotating while the
    password changes may leave its new token outside the revocation (not yet
    committed when the others were blacklisted): that token carries the old
    version, and is refused here.
    """

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        no_account = AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        with transaction.atomic():
            lock_refresh_token(refresh[api_settings.JTI_CLAIM])
            user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM)).first()
            if user is None:
                raise no_account
            refuse_if_password_changed(refresh, user)
            try:
                return super().validate(attrs)
            except User.DoesNotExist:
                raise no_account from None


class LoginSerializer(TokenObtainPairSerializer):
    token_class = VersionedRefreshToken


class LogoutSerializer(TokenBlacklistSerializer):
    """Blacklists the caller's refresh token given; an invalid or already refused one is a 401."""

    token_class = VersionedRefreshToken

    def validate(self, attrs):
        # Signing out is the caller's own business: another user's token
        # (stolen, say) is not theirs to spend.
        token = self.token_class(attrs["refresh"])
        if token.payload.get(api_settings.USER_ID_CLAIM) != str(self.context["request"].user.pk):
            raise serializers.ValidationError({"refresh": ["This refresh token is not yours."]})
        return super().validate(attrs)


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(write_only=True, trim_whitespace=False)
    new_password = serializers.CharField(write_only=True, trim_whitespace=False)


class PasswordResetSerializer(serializers.Serializer):
    # Django's validator passes addresses up to 320 characters, longer than any account's (or than the
    # notice's column that records it: a 500 otherwise); one that long is bad input, whoever sends it.
    email = serializers.EmailField(max_length=User._meta.get_field("email").max_length)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(write_only=True, trim_whitespace=False)
