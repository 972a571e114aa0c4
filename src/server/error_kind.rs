//! The kinds of server-side error, which a program can match on.

/// What kind of failure a [`ServerError`](super::ServerError) reports.
///
/// The kind travels as the error's name (`TypeError`, `LibraryError`, …), the same names
/// the original Python tool's users see; a name this enum does not know is [`Other`].
/// The client gets it as [`Error::Server32`](crate::Error::Server32)'s `kind`.
///
/// ```
/// use loadlib::server::{ErrorKind, ServerError};
/// let e = ServerError::type_error("expected f64, got str");
/// assert_eq!(e.kind(), ErrorKind::TypeError);
/// assert_eq!(ErrorKind::from_name("LibraryError"), ErrorKind::LibraryError);
/// assert_eq!(ErrorKind::from_name("MyVendorError"), ErrorKind::Other);
/// ```
///
/// [`Other`]: ErrorKind::Other
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No method of that name (`UnknownMethod`).
    UnknownMethod,
    /// An argument of the wrong type or count (`TypeError`).
    TypeError,
    /// An argument of the right type but an unusable value (`ValueError`).
    ValueError,
    /// A number that does not fit the parameter's type (`OverflowError`).
    Overflow,
    /// The library could not be loaded, lacks a symbol, or a call into it failed
    /// (`LibraryError`).
    LibraryError,
    /// The 32-bit server could not allocate memory (`MemoryError`).
    MemoryError,
    /// The wrapper panicked; the server lives on (`Panic`).
    Panic,
    /// The client and server disagree about the interface (`InterfaceMismatch`).
    InterfaceMismatch,
    /// A malformed request (`ProtocolError`).
    ProtocolError,
    /// A shared array or bulk segment could not be mapped (`SharedMemoryError`).
    SharedMemory,
    /// The result could not be sent back, e.g. no room for it in shared memory
    /// (`ReplyError`).
    ReplyError,
    /// An operating-system error (`OSError`).
    OsError,
    /// A .NET exception (`DotNetException`).
    DotNet,
    /// Any other name: a wrapper's own error.
    Other,
}

/// Each kind and its name.
const NAMES: &[(ErrorKind, &str)] = &[
    (ErrorKind::UnknownMethod, "UnknownMethod"),
    (ErrorKind::TypeError, "TypeError"),
    (ErrorKind::ValueError, "ValueError"),
    (ErrorKind::Overflow, "OverflowError"),
    (ErrorKind::LibraryError, "LibraryError"),
    (ErrorKind::MemoryError, "MemoryError"),
    (ErrorKind::Panic, "Panic"),
    (ErrorKind::InterfaceMismatch, "InterfaceMismatch"),
    (ErrorKind::ProtocolError, "ProtocolError"),
    (ErrorKind::SharedMemory, "SharedMemoryError"),
    (ErrorKind::ReplyError, "ReplyError"),
    (ErrorKind::OsError, "OSError"),
    (ErrorKind::DotNet, "DotNetException"),
];

impl ErrorKind {
    /// The kind an error name stands for.
    pub fn from_name(name: &str) -> ErrorKind {
        NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map_or(ErrorKind::Other, |(k, _)| *k)
    }

    /// The name of this kind (`"Error"` for [`ErrorKind::Other`]).
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("Error", |(_, n)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        for (kind, name) in NAMES {
            assert_eq!(ErrorKind::from_name(name), *kind);
            assert_eq!(kind.name(), *name);
        }
        assert_eq!(ErrorKind::Other.name(), "Error");
        assert_eq!(ErrorKind::from_name("Error"), ErrorKind::Other);
    }
}
