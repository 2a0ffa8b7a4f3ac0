from django_otp.admin import OTPAdminSite


class SecondFactorAdminSite(OTPAdminSite):
    """The admin, open to staff who also proved a second factor: a token of one of their OTP devices."""

    def __init__(self, name="admin"):
        # OTPAdminSite calls itself "otpadmin"; "admin" keeps the admin: URL names.
        super().__init__(name)
