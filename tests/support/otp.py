"""Second factors in tests (no tests here)."""

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def current_token(device: TOTPDevice) -> str:
    """What the staff member's authenticator app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"
