//! What `nono run --dry-run --json` reports, picked apart.

use super::Scratch;
use serde_json::Value;

/// `nono run --dry-run --json FLAGS... -- true`, parsed.
pub fn dry_json(s: &Scratch, flags: &[&str]) -> Value {
    let mut argv = vec!["run", "--dry-run", "--json"];
    argv.extend_from_slice(flags);
    argv.extend(["--", "true"]);
    s.run(argv).expect_ok().json()
}

/// `nono run --dry-run FLAGS... -- true`: the text report.
pub fn dry_text(s: &Scratch, flags: &[&str]) -> String {
    let mut argv = vec!["run", "--dry-run"];
    argv.extend_from_slice(flags);
    argv.extend(["--", "true"]);
    s.run(argv).expect_ok().stdout.clone()
}

/// The strings of a JSON array.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

/// The `feature` of every gap, in order.
pub fn gap_features(json: &Value) -> Vec<String> {
    json["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["feature"].as_str().unwrap().to_owned())
        .collect()
}

/// The notes, in order.
pub fn notes(json: &Value) -> Vec<String> {
    strings(&json["notes"])
}

/// The preset each grant comes from (`""` for a grant of a flag).
pub fn grant_presets(json: &Value) -> Vec<&str> {
    json["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["source"]["preset"].as_str().unwrap_or(""))
        .collect()
}
