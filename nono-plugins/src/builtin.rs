//! The built-in presets, embedded at build time.

/// Every built-in preset: its name and its RON text.
pub const BUILTIN: [(&str, &str); 8] = [
    ("base", include_str!("../presets/base.ron")),
    ("tmp", include_str!("../presets/tmp.ron")),
    ("rust", include_str!("../presets/rust.ron")),
    ("python", include_str!("../presets/python.ron")),
    ("node", include_str!("../presets/node.ron")),
    ("go", include_str!("../presets/go.ron")),
    ("git", include_str!("../presets/git.ron")),
    ("shell", include_str!("../presets/shell.ron")),
];

#[cfg(test)]
mod tests {
    use super::*;
    use nono_model::Preset;

    #[test]
    fn every_builtin_parses_and_is_named_after_its_file() {
        for (name, text) in BUILTIN {
            let preset = Preset::from_ron(text).unwrap_or_else(|e| panic!("{name}.ron: {e}"));
            assert_eq!(preset.name, name);
            assert!(!preset.description.is_empty(), "{name}");
            assert!(!preset.grants.is_empty(), "{name} grants nothing");
        }
    }
}
