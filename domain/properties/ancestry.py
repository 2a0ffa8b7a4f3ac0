def within_subtree(candidate_id: int | None, root_id: int, parent_of: dict[int, int | None]) -> bool:
    """Whether `candidate_id` is `root_id` or one of its descendants, by the parent map `parent_of`.

    Walks up from the candidate at most once per category: a loop that bad
    data already holds ends the walk instead of hanging it.
    """
    current = candidate_id
    for _ in range(len(parent_of) + 1):
        if current is None:
            return False
        if current == root_id:
            return True
        current = parent_of.get(current)
    return False
