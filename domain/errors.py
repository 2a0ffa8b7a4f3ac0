"""Every refusal the domain can give, with its machine code: one enum, one exception.

`api/errors.py` maps a DomainError to its HTTP answer (`HTTP_STATUS`), and an
operation that ends FAILED records its code; no other place retypes a code.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    # An operation's `error.code` (API.md, "Operations").
    PROPERTY_NOT_FOUND = "property_not_found"
    PROPERTY_INACTIVE = "property_inactive"
    PROPERTY_UNAVAILABLE = "property_unavailable"
    TOO_MANY_PENDING_BOOKINGS = "too_many_pending_bookings"
    REBOOK_COOLDOWN = "rebook_cooldown"
    BOOKING_NOT_FOUND = "booking_not_found"
    BOOKING_ALREADY_PAID = "booking_already_paid"
    BOOKING_NOT_PAYABLE = "booking_not_payable"
    BOOKING_NOT_CANCELABLE = "booking_not_cancelable"
    PROVIDER_ERROR = "provider_error"
    INTERNAL_ERROR = "internal_error"
    # Refusals of a request itself, answered at once, or of a staff action.
    CATEGORY_NOT_FOUND = "category_not_found"
    CATEGORY_LOOP = "category_loop"
    PROPERTY_HELD = "property_held"
    USER_HAS_BOOKINGS = "user_has_bookings"
    PROPERTY_HAS_BOOKINGS = "property_has_bookings"
    BOOKING_NOT_REFUNDABLE = "booking_not_refundable"
    WEBHOOK_EVENT_NOT_FOUND = "webhook_event_not_found"
    WEBHOOK_EVENT_NOT_FAILED = "webhook_event_not_failed"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_mismatch"
    INVALID_SIGNATURE = "invalid_signature"
    MALFORMED_WEBHOOK = "malformed_webhook"
    WRONG_PASSWORD = "wrong_password"
    PASSWORD_RESET_LINK_INVALID = "password_reset_link_invalid"


class DomainError(Exception):
    """A business rule refused a request: its `code`, and `detail`, the human text shown with it."""

    def __init__(self, code: ErrorCode, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = ErrorCode(code)
        self.detail = detail
