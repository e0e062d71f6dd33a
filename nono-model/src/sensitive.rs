//! Paths that hold credentials, and nono's own state: carved out of every
//! grant unless exposed. A path that does not exist is protected too: no
//! grant that could create it keeps the right to create anything in its
//! nearest existing directory (see `nono_compile::carve`).

/// The built-in sensitive paths that hold credentials. A grant that covers
/// one of them is carved so that the path stays out of reach; `--expose
/// PATH` opts back in.
pub const SENSITIVE_PATHS: [&str; 17] = [
    "~/.ssh",
    "~/.gnupg",
    "~/.aws",
    "~/.azure",
    "${XDG_CONFIG_HOME:-~/.config}/gcloud",
    "~/.kube",
    "~/.docker/config.json",
    "~/.git-credentials",
    "${XDG_CONFIG_HOME:-~/.config}/git/credentials",
    "~/.netrc",
    "~/.npmrc",
    "~/.pypirc",
    "${CARGO_HOME:-~/.cargo}/credentials.toml",
    "${CARGO_HOME:-~/.cargo}/credentials",
    "${XDG_CONFIG_HOME:-~/.config}/gh/hosts.yml",
    "~/.password-store",
    "${XDG_DATA_HOME:-~/.local/share}/keyrings",
];

/// nono's own cache directory, denied to every sandbox like the sensitive
/// paths: it holds plugins' answers, which later runs trust, so no sandboxed
/// command may write it (or read the contexts stored in it). Listed twice:
/// where `$XDG_CACHE_HOME` puts it now, and the default place, which a run
/// without `$XDG_CACHE_HOME` would use.
pub const NONO_CACHE_PATHS: [&str; 2] = ["${XDG_CACHE_HOME:-~/.cache}/nono", "~/.cache/nono"];

/// nono's own configuration directory, denied to every sandbox like the
/// sensitive paths: it holds user presets and plugins, which the next run
/// trusts, so a sandboxed command that could write it could widen the next
/// sandbox (or run its code in nono). Listed twice, like
/// [`NONO_CACHE_PATHS`]: where `$XDG_CONFIG_HOME` puts it now, and the
/// default place. The directories of `$NONO_PLUGIN_PATH` are denied too, by
/// the `nono` binary, which reads that variable.
pub const NONO_CONFIG_PATHS: [&str; 2] = ["${XDG_CONFIG_HOME:-~/.config}/nono", "~/.config/nono"];
