from .models import Operation


def operations_of(user):
    return Operation.objects.filter(owner=user)
