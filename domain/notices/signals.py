from django.dispatch import Signal

# Sent with `notice=` when a notice is recorded, inside the transaction that
# records it. The tasks layer dispatches it after the commit (config/apps.py
# connects it); without a receiver the job sweep sends it anyway, once its
# `redispatch_at` has passed. The domain never imports the tasks layer.
notice_recorded = Signal()
