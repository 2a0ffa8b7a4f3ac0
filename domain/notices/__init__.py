"""Notices by email: each a recorded job (domain/jobs), sent by a worker after the change it reports commits."""
