//! Every YAML example in the docs that is a whole check or profile loads and validates.

use std::path::Path;
use std::process::Command;

fn blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match (&mut cur, line.trim_start().starts_with("```")) {
            (None, true) if line.trim() == "```yaml" => cur = Some(String::new()),
            (Some(b), true) => {
                out.push(std::mem::take(b));
                cur = None;
            }
            (Some(b), false) => {
                b.push_str(line);
                b.push('\n');
            }
            _ => {}
        }
    }
    out
}

#[test]
fn yaml_examples_in_the_docs_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tmp");
    let mut checked = 0;
    for doc in [
        "docs/check-format.md",
        "docs/profile-format.md",
        "README.md",
    ] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap_or_default();
        for (i, block) in blocks(&text).into_iter().enumerate() {
            let args: Vec<String> = if let Some(id) = block
                .strip_prefix("id: ")
                .and_then(|r| r.split_whitespace().next())
            {
                let p = dir.path().join(format!("{id}.yaml"));
                std::fs::write(&p, &block).expect("write");
                vec![
                    "validate".into(),
                    "--no-builtin".into(),
                    "--profile".into(),
                    "suites/profiles/lab.yaml".into(),
                    p.display().to_string(),
                ]
            } else if block.starts_with("base_url:") {
                let p = dir.path().join(format!("profile-{i}.yaml"));
                std::fs::write(&p, &block).expect("write");
                vec![
                    "validate".into(),
                    "--profile".into(),
                    p.display().to_string(),
                ]
            } else {
                continue;
            };
            let out = Command::new(env!("CARGO_BIN_EXE_apiward"))
                .args(&args)
                .current_dir(root)
                .output()
                .expect("run");
            assert!(
                out.status.success(),
                "{doc} block {i}:\n{block}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} examples found");
}
