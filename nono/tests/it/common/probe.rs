//! The probe (`tests/fixtures/probe.py`): attempts made with real system
//! calls, each printing `OK` or the errno's name.

use super::Outcome;
use std::process::Command;

/// The system Python, by absolute path: a `python3` found first in `$PATH`
/// may be a shim (pyenv) outside every granted directory.
pub const PYTHON: &str = "/usr/bin/python3";

/// The probe's text. It is passed with `python3 -c`, so that no sandbox has
/// to grant the checkout; its ops and output are described in the file.
pub const PROBE: &str = include_str!("../../fixtures/probe.py");

/// The argv of a probe run: `python3 -I -S -c PROBE OP ARGS...`.
pub fn probe(op: &str, args: &[&str]) -> Vec<String> {
    [PYTHON, "-I", "-S", "-c", PROBE, op]
        .into_iter()
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect()
}

impl Outcome {
    /// Asserts that a [`probe`] run succeeded and showed nothing.
    #[track_caller]
    pub fn expect_probe_ok(&self) -> &Outcome {
        self.expect_code(0);
        assert_eq!(self.stdout.trim(), "OK", "{self:#?}");
        self
    }

    /// Asserts that a [`probe`] run failed with the errno named `name`.
    #[track_caller]
    pub fn expect_errno(&self, name: &str) -> &Outcome {
        self.expect_code(1);
        assert_eq!(self.stdout.trim(), name, "{self:#?}");
        self
    }

    /// Asserts that a [`probe`] run failed with the errno named `name` at
    /// the probe's step `step`.
    #[track_caller]
    pub fn expect_errno_at(&self, name: &str, step: &str) -> &Outcome {
        self.expect_errno(name)
            .expect_stderr(&format!("failed at {step}"))
    }
}

/// The kernel's Landlock ABI version, asked of the kernel directly by the
/// probe (`landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)`),
/// independently of nono.
pub fn kernel_landlock_abi() -> u64 {
    let argv = probe("landlock-abi", &[]);
    let out = Outcome::of(Command::new(&argv[0]).args(&argv[1..]));
    out.expect_probe_shows(0)
        .parse()
        .unwrap_or_else(|e| panic!("the Landlock ABI probe printed {out:#?}: {e}"))
}

impl Outcome {
    /// The `n`th `DATA` line of a successful [`probe`] run, without `DATA `.
    #[track_caller]
    pub fn expect_probe_shows(&self, n: usize) -> &str {
        self.expect_code(0);
        let mut lines = self.stdout.lines();
        assert_eq!(lines.next_back(), Some("OK"), "{self:#?}");
        lines
            .filter_map(|l| l.strip_prefix("DATA "))
            .nth(n)
            .unwrap_or_else(|| panic!("no DATA line {n}: {self:#?}"))
    }
}
