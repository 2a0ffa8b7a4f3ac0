# Primary keys are BigAutoField: an id beyond this is malformed input, refused
# before it reaches a query (where it would be a database error, a 500).
MAX_ID = 2**63 - 1
