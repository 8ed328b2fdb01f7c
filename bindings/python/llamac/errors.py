"""Exceptions: every failure of a library call is a LlamacError carrying the
library's status (an llamac_status value) and message (llamac_last_error)."""
from . import _lib


class LlamacError(Exception):
    """A llamac call failed. .status: the llamac_status (int, or None for
    errors of the binding itself); .status_name: "LLAMAC_ERR_IO" ...;
    .message: the library's message."""

    def __init__(self, status, message):
        self.status = status
        self.message = message
        try:
            self.status_name = _lib.llamac_status(status).name if status is not None else None
        except ValueError:
            self.status_name = f"status {status}"
        super().__init__(f"{self.status_name}: {message}" if self.status_name else message)


class InvalidArgumentError(LlamacError, ValueError): pass
class LlamacIOError(LlamacError, OSError): pass
class FormatError(LlamacError): pass
class UnsupportedError(LlamacError): pass
class NotFoundError(LlamacError, LookupError): pass
class TypeMismatchError(LlamacError, TypeError): pass
class NoMemoryError(LlamacError, MemoryError): pass
class CancelledError(LlamacError): pass
class ContextFullError(LlamacError): pass
class InternalError(LlamacError): pass
class BufferTooSmallError(LlamacError): pass
class MismatchError(LlamacError): pass
class LimitError(LlamacError): pass


class ClosedError(LlamacError, RuntimeError):
    """A method was called on a closed object."""

    def __init__(self, what):
        super().__init__(None, f"{what} is closed")


class ConcurrentUseError(LlamacError, RuntimeError):
    """A Context (or a Llama) was used by a second thread while another was
    inside a call on it: contexts are one thread at a time."""

    def __init__(self, what):
        super().__init__(None, f"{what} is being used by another thread")


_BY_STATUS = {
    1: InvalidArgumentError, 2: LlamacIOError, 3: FormatError, 4: UnsupportedError,
    5: NotFoundError, 6: TypeMismatchError, 7: NoMemoryError, 8: CancelledError,
    9: ContextFullError, 10: InternalError, 11: BufferTooSmallError, 12: MismatchError,
    13: LimitError,
}


def error_for(status, message):
    return _BY_STATUS.get(status, LlamacError)(status, message)
