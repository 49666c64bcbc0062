//! Status codes, the thread-local last-error message, and the panic guard every entry point
//! runs its body in, so that no failure (not even a panic) crosses the C boundary.

use std::cell::RefCell;
use std::ffi::{c_char, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// What every function returns: `NSDF_OK` (0) on success, a positive error code otherwise.
/// `nsdf_last_error()` then describes the failure. Codes never change meaning once released.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// The shared `Nsdf` prefix becomes the `NSDF_` prefix C users expect (NSDF_OK, NSDF_ERR_IO).
#[allow(clippy::enum_variant_names)]
pub enum NsdfStatus {
    /// Success.
    NsdfOk = 0,
    /// A required pointer argument was NULL.
    NsdfErrNullPointer = 1,
    /// The bytes are not a valid `.nsdf` file; the message names the NSDF-Exxx code and offset.
    NsdfErrInvalidFile = 2,
    /// The file could not be opened or read.
    NsdfErrIo = 3,
    /// An argument is unusable: a count whose byte size overflows, a misaligned or overlapping
    /// buffer, a path that is not valid for this platform.
    NsdfErrInvalidArgument = 4,
    /// An internal error (a Rust panic) was caught; the library is still usable.
    NsdfErrPanic = 5,
}

/// A failed call: the status to return and the message `nsdf_last_error` will give.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: NsdfStatus,
    pub message: String,
}

impl Failure {
    pub fn null(arg: &str) -> Failure {
        Failure {
            status: NsdfStatus::NsdfErrNullPointer,
            message: format!("{arg} is NULL"),
        }
    }

    pub fn argument(message: String) -> Failure {
        Failure {
            status: NsdfStatus::NsdfErrInvalidArgument,
            message,
        }
    }
}

impl From<nsdf::Error> for Failure {
    fn from(e: nsdf::Error) -> Failure {
        let status = match e {
            nsdf::Error::Io { .. } => NsdfStatus::NsdfErrIo,
            _ => NsdfStatus::NsdfErrInvalidFile,
        };
        // Display reads "NSDF-Exxx: description", the description naming the byte offset.
        Failure {
            status,
            message: e.to_string(),
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_last_error(message: &str) {
    // A message with an interior NUL would be cut short in C; replace them instead.
    let c = CString::new(message.replace('\0', "\u{FFFD}")).unwrap_or_default();
    // `try_with` fails only while the thread is being torn down; there is nobody to tell then.
    let _ = LAST_ERROR.try_with(|e| *e.borrow_mut() = c);
}

/// The calling thread's last error message ("" after a successful call).
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR
        .try_with(|e| e.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Runs `body`, turning its error or panic into a status code plus last-error message.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> NsdfStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => {
            set_last_error("");
            NsdfStatus::NsdfOk
        }
        Ok(Err(f)) => {
            set_last_error(&f.message);
            f.status
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            set_last_error(&format!(
                "internal error (panic caught at the C boundary): {what}"
            ));
            NsdfStatus::NsdfErrPanic
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn panics_become_a_status_and_message() {
        let s = guard(|| panic!("boom {}", 42));
        assert_eq!(s, NsdfStatus::NsdfErrPanic);
        assert!(last().contains("boom 42"), "{}", last());
        // The next successful call clears the message.
        assert_eq!(guard(|| Ok(())), NsdfStatus::NsdfOk);
        assert_eq!(last(), "");
    }

    #[test]
    fn interior_nul_does_not_lose_the_message() {
        let s = guard(|| Err(Failure::argument("a\0b".into())));
        assert_eq!(s, NsdfStatus::NsdfErrInvalidArgument);
        assert_eq!(last(), "a\u{FFFD}b");
    }

    #[test]
    fn messages_are_per_thread() {
        guard(|| Err(Failure::null("here")));
        std::thread::spawn(|| assert_eq!(last(), ""))
            .join()
            .unwrap();
        assert_eq!(last(), "here is NULL");
    }
}
