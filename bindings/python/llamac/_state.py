"""The loaded library (one per process) and the status check."""
from . import _loader
from .errors import error_for

lib, library_path, missing_functions = _loader.load()


def check(status):
    """Raises the LlamacError subclass for a failed status with the library's
    message for this thread."""
    if status != 0:
        raise error_for(int(status), lib.llamac_last_error().decode("utf-8", "replace"))
    return status
