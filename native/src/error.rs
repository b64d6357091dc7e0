//! Error codes of the C ABI (`gopher_auth_error_t`) and the engine's error type.

/// The C ABI's error codes; values are upstream's and never change.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Success = 0,
    InvalidToken = -1000,
    ExpiredToken = -1001,
    InvalidSignature = -1002,
    InvalidIssuer = -1003,
    InvalidAudience = -1004,
    InsufficientScope = -1005,
    JwksFetchFailed = -1006,
    InvalidKey = -1007,
    NetworkError = -1008,
    InvalidConfig = -1009,
    OutOfMemory = -1010,
    InvalidParameter = -1011,
    NotInitialized = -1012,
    InternalError = -1013,
    TokenExchangeFailed = -1014,
    IdpNotLinked = -1015,
    InvalidIdpAlias = -1016,
}

/// An engine error: a code plus a bounded, sanitized message (never raw token content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({:?})", self.message, self.code)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
