from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from domain.users.models import User


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
            raise serializers.ValidationError({"password": list(error.messages)})
        return attrs


class RefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh, with a deleted user's token a 401 like an inactive user's.

    simplejwt looks the user up with .get() and lets DoesNotExist escape (a 500).
    """

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except User.DoesNotExist:
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account") from None
