//! Errors: the library's status code and its message (llamac_last_error).

use std::ffi::{c_char, CStr, CString};
use std::fmt;

use llamac_sys as sys;

/// A failing status of the C library (`llamac_status` without `LLAMAC_OK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    InvalidArg,
    Io,
    Format,
    Unsupported,
    NotFound,
    Type,
    NoMemory,
    Cancelled,
    ContextFull,
    Internal,
    BufferTooSmall,
    Mismatch,
    Limit,
    /// A code this version of the crate does not know (a newer library).
    Other(i32),
}

impl Status {
    /// The status for a raw code; `None` for `LLAMAC_OK`.
    pub fn from_raw(code: sys::llamac_status) -> Option<Status> {
        Some(match code {
            sys::LLAMAC_OK => return None,
            sys::LLAMAC_ERR_INVALID_ARG => Status::InvalidArg,
            sys::LLAMAC_ERR_IO => Status::Io,
            sys::LLAMAC_ERR_FORMAT => Status::Format,
            sys::LLAMAC_ERR_UNSUPPORTED => Status::Unsupported,
            sys::LLAMAC_ERR_NOT_FOUND => Status::NotFound,
            sys::LLAMAC_ERR_TYPE => Status::Type,
            sys::LLAMAC_ERR_NO_MEMORY => Status::NoMemory,
            sys::LLAMAC_ERR_CANCELLED => Status::Cancelled,
            sys::LLAMAC_ERR_CONTEXT_FULL => Status::ContextFull,
            sys::LLAMAC_ERR_INTERNAL => Status::Internal,
            sys::LLAMAC_ERR_BUFFER_TOO_SMALL => Status::BufferTooSmall,
            sys::LLAMAC_ERR_MISMATCH => Status::Mismatch,
            sys::LLAMAC_ERR_LIMIT => Status::Limit,
            other => Status::Other(other),
        })
    }

    /// The raw `llamac_status` code.
    pub fn raw(self) -> sys::llamac_status {
        match self {
            Status::InvalidArg => sys::LLAMAC_ERR_INVALID_ARG,
            Status::Io => sys::LLAMAC_ERR_IO,
            Status::Format => sys::LLAMAC_ERR_FORMAT,
            Status::Unsupported => sys::LLAMAC_ERR_UNSUPPORTED,
            Status::NotFound => sys::LLAMAC_ERR_NOT_FOUND,
            Status::Type => sys::LLAMAC_ERR_TYPE,
            Status::NoMemory => sys::LLAMAC_ERR_NO_MEMORY,
            Status::Cancelled => sys::LLAMAC_ERR_CANCELLED,
            Status::ContextFull => sys::LLAMAC_ERR_CONTEXT_FULL,
            Status::Internal => sys::LLAMAC_ERR_INTERNAL,
            Status::BufferTooSmall => sys::LLAMAC_ERR_BUFFER_TOO_SMALL,
            Status::Mismatch => sys::LLAMAC_ERR_MISMATCH,
            Status::Limit => sys::LLAMAC_ERR_LIMIT,
            Status::Other(c) => c,
        }
    }

    /// The constant's name, from `llamac_status_name` ("LLAMAC_ERR_IO").
    pub fn name(self) -> String {
        // SAFETY: llamac_status_name never returns NULL; static storage.
        unsafe { cstr_lossy(sys::llamac_status_name(self.raw())) }
    }
}

/// A failed llamac call: the status and the message the library gave
/// (`llamac_last_error()` read on the failing thread right after the call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// An error made on the Rust side (an argument the C API cannot take).
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The error of the C call that just returned `code` (not `LLAMAC_OK`).
    pub(crate) fn last(code: sys::llamac_status) -> Error {
        let status = Status::from_raw(code).unwrap_or(Status::Internal);
        Error { status, message: last_error() }
    }

    /// The error of a C constructor that returned NULL: it reports no
    /// status, so the status is read from its message when it names one.
    pub(crate) fn last_null(default: Status) -> Error {
        let message = last_error();
        let status = if message.contains("memory") { Status::NoMemory } else { default };
        Error { status, message }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// `Ok` for `LLAMAC_OK`, else the error with the thread's message.
pub(crate) fn check(code: sys::llamac_status) -> Result<()> {
    if code == sys::LLAMAC_OK {
        Ok(())
    } else {
        Err(Error::last(code))
    }
}

fn last_error() -> String {
    // SAFETY: never NULL; valid until the next failing call on this thread.
    unsafe { cstr_lossy(sys::llamac_last_error()) }
}

/// Copies a NUL-terminated C string (invalid UTF-8 replaced); "" for NULL.
pub(crate) unsafe fn cstr_lossy(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller passes a NUL-terminated string.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Copies `len` bytes from `p` into a String (invalid UTF-8 replaced).
pub(crate) unsafe fn bytes_lossy(p: *const c_char, len: usize) -> String {
    if p.is_null() || len == 0 {
        return String::new();
    }
    // SAFETY: the caller vouches for p[0..len).
    let b = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    String::from_utf8_lossy(b).into_owned()
}

/// A C string for the library; a NUL inside is an `InvalidArg` error.
pub(crate) fn c_string(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new(Status::InvalidArg, format!("{what} contains a NUL byte")))
}
