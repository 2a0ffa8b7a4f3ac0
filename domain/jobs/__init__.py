"""The durable-job machinery every recorded piece of work runs on (operations, webhook events).

A job is first a row, then a message: the row is the truth, the message
only a wake-up call. See `models.Job` for the fields, `runs.py` for how one
run claims and finishes a job, `sweep.py` for how lost and orphaned jobs are
found again, `liveness.py` for how a live run is told from a dead one.
"""
