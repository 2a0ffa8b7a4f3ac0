from django.contrib.admin.apps import AdminConfig


class SecondFactorAdminConfig(AdminConfig):
    """django.contrib.admin, with the second-factor site of config/admin_site.py as `admin.site`.

    (The site lives in a module of its own: it imports auth forms, which an
    AppConfig's module cannot while the apps are being loaded.)
    """

    default_site = "config.admin_site.SecondFactorAdminSite"
