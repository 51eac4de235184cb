//! Detects the natural language of a text given as arguments (as the paper runs it), or of every
//! line of a text file (`--file`), and counts texts per language.
use std::collections::BTreeMap;
use wasmfaas_workload::cli::{Args, OrFail};

const NAME: &str = "whatlang";

fn main() {
    let args = Args::from_env(NAME, "<text>... | --file <texts.txt>");
    let texts = if args.text(0, "text") == "--file" {
        let path = args.text(1, "texts.txt");
        std::fs::read_to_string(path).or_fail(NAME, format_args!("reading {path}"))
    } else {
        args.rest(0)
    };
    let mut by_language: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut lines = 0u64;
    for line in texts.lines().filter(|l| !l.trim().is_empty()) {
        lines += 1;
        let code = whatlang::detect_lang(line).map_or("und", |lang| lang.code());
        *by_language.entry(code).or_default() += 1;
    }
    println!("texts: {lines}");
    let counts: Vec<String> = by_language
        .iter()
        .map(|(code, n)| format!("{code}={n}"))
        .collect();
    println!("languages: {}", counts.join(","));
}
