//! The charts' tests: the SVG helpers they share; bar charts and stacked charts apart.
use std::collections::HashMap;

use crate::canvas::colour;
use crate::scale::{Scale, format_power_of_ten};
use crate::*;

/// Checks that `svg` is one well-formed `<svg>` element: tags balanced and properly nested,
/// attributes quoted, no stray `<` or `&`.
fn assert_well_formed(svg: &str) {
    let svg = svg.trim();
    assert!(svg.starts_with("<svg"), "does not start with <svg");
    assert!(svg.ends_with("</svg>"), "does not end with </svg>");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = svg;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "stray '>' in text {text:?}");
        check_entities(text);
        let close = rest[open..].find('>').expect("unterminated tag") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "'<' inside tag {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else {
            if stack.is_empty() {
                roots += 1;
            }
            let name = tag
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches('/');
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()),
                "bad tag name in {tag:?}"
            );
            assert_eq!(
                tag.matches('"').count() % 2,
                0,
                "unbalanced quotes in {tag:?}"
            );
            check_entities(tag);
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert!(rest.trim().is_empty());
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
    assert_eq!(roots, 1, "more than one root element");
}

fn check_entities(s: &str) {
    for (i, _) in s.match_indices('&') {
        let entity = &s[i..s[i..].find(';').map_or(s.len(), |j| i + j + 1)];
        assert!(
            ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"].contains(&entity),
            "bad entity {entity:?}"
        );
    }
}

/// The attributes of every `<tag ...>` element.
fn elements(svg: &str, tag: &str) -> Vec<HashMap<String, String>> {
    let open = format!("<{tag} ");
    svg.match_indices(&open)
        .map(|(i, _)| {
            let body = &svg[i + open.len()..i + svg[i..].find('>').unwrap()];
            let mut attrs = HashMap::new();
            let mut rest = body;
            while let Some(eq) = rest.find("=\"") {
                let key = rest[..eq].trim().to_owned();
                let end = rest[eq + 2..].find('"').unwrap() + eq + 2;
                attrs.insert(key, rest[eq + 2..end].to_owned());
                rest = &rest[end + 1..];
            }
            attrs
        })
        .collect()
}

fn num(attrs: &HashMap<String, String>, key: &str) -> f64 {
    attrs[key].parse().unwrap()
}

/// `#RRGGBB` of palette entry `i`, as the SVG backend writes it.
fn hex(i: usize) -> String {
    let c = colour(i);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn filled_rects(svg: &str, fill: &str) -> Vec<HashMap<String, String>> {
    elements(svg, "rect")
        .into_iter()
        .filter(|r| r["fill"] == fill)
        .collect()
}

/// All text contents, unescaped.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .map(|t| {
            let start = t.find('>').unwrap() + 1;
            let end = t.find("</text>").unwrap();
            t[start..end]
                .trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

const ENVS: [&str; 3] = [
    "process/native",
    "embedded/wasmtime-aot",
    "process/wasmi-interp",
];
const FUNCTIONS: [&str; 4] = ["fibonacci", "linear-equations", "sha256", "json-parse"];

fn sample_chart(log_scale: bool) -> BarChart {
    let groups = FUNCTIONS
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let bars = ENVS
                .iter()
                .enumerate()
                .map(|(ei, e)| {
                    let v = 0.15 * 10f64.powi(ei as i32 + fi as i32);
                    Bar::new(*e, v).with_interval(v * 0.9, v * 1.2)
                })
                .collect();
            Group::new(*f, bars)
        })
        .collect();
    BarChart {
        title: "Cold start".into(),
        value_label: "median time (ms)".into(),
        log_scale,
        groups,
    }
}

mod bars;
mod stacks;
