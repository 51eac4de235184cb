//! Counts the words of a text: every word and its count to a file, the most frequent on stdout.
//!
//! `wordfreq TEXT COUNTS [TOP]`: reads TEXT, writes `word<TAB>count` lines to COUNTS (most
//! frequent first, then alphabetical), prints the TOP (default 10) and the totals.
use std::collections::HashMap;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(text), Some(counts)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: wordfreq TEXT COUNTS [TOP]");
        return ExitCode::from(2);
    };
    let top: usize = match args.get(3).map(|t| t.parse()) {
        None => 10,
        Some(Ok(top)) => top,
        Some(Err(_)) => {
            eprintln!("wordfreq: TOP must be a number, not {:?}", args[3]);
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(text) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("wordfreq: cannot read {text}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut frequency: HashMap<String, u64> = HashMap::new();
    let mut words = 0u64;
    for word in text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
    {
        *frequency.entry(word.to_lowercase()).or_default() += 1;
        words += 1;
    }
    // HashMap's order is random per process: sort so that every run writes the same file.
    let mut sorted: Vec<(String, u64)> = frequency.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut file = String::new();
    for (word, count) in &sorted {
        file.push_str(&format!("{word}\t{count}\n"));
    }
    if let Err(e) = std::fs::write(counts, file) {
        eprintln!("wordfreq: cannot write {counts}: {e}");
        return ExitCode::FAILURE;
    }
    for (word, count) in sorted.iter().take(top) {
        println!("{count:>6} {word}");
    }
    println!("{words} words, {} distinct", sorted.len());
    ExitCode::SUCCESS
}
