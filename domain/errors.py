class DomainError(Exception):
    """A business rule refused a request.

    `code` is the machine code that API.md lists (for example
    `property_unavailable`); `detail` is the human text shown with it.
    """

    def __init__(self, code: str, detail: str):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
