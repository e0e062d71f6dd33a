//! Landlock availability and ABI detection.

use nono_model::Abi;

/// Whether this kernel offers Landlock, and which ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LandlockState {
    /// Landlock is available with this ABI.
    Available(Abi),
    /// The kernel has Landlock but it is not enabled at boot (`EOPNOTSUPP`).
    NotEnabled,
    /// The kernel was built without Landlock (`ENOSYS`).
    NotImplemented,
}

impl LandlockState {
    /// The ABI, when available.
    pub fn abi(self) -> Option<Abi> {
        match self {
            LandlockState::Available(abi) => Some(abi),
            _ => None,
        }
    }
}

const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;

/// The kernel's Landlock ABI version. The kernel is asked once per process
/// (the answer cannot change while it runs); `nono run` needs it to compile
/// and again to apply.
pub fn landlock_state() -> LandlockState {
    static STATE: std::sync::OnceLock<LandlockState> = std::sync::OnceLock::new();
    *STATE.get_or_init(ask_landlock_state)
}

fn ask_landlock_state() -> LandlockState {
    // SAFETY: with a null attribute pointer, zero size and the VERSION flag,
    // landlock_create_ruleset(2) only returns the ABI version (or an error);
    // it reads and writes no memory and creates no file descriptor.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if version > 0 {
        return LandlockState::Available(Abi(u8::try_from(version).unwrap_or(u8::MAX)));
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EOPNOTSUPP) => LandlockState::NotEnabled,
        _ => LandlockState::NotImplemented,
    }
}

/// The running kernel's release string (`uname -r`).
pub fn kernel_release() -> String {
    rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned()
}
