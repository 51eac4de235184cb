//! The report as a document model, rendered to Markdown and to HTML from the same content.

/// A whole report.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The title.
    pub title: String,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// One section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Its heading.
    pub heading: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

/// A piece of content.
#[derive(Debug, Clone)]
pub enum Block {
    /// A paragraph of plain text.
    Paragraph(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table.
    Table(Table),
    /// A chart: its SVG file name (in the run set folder), its SVG text, a caption.
    Figure {
        /// File name.
        file: String,
        /// The SVG.
        svg: String,
        /// Caption.
        caption: String,
    },
    /// Content folded away in HTML (long lists).
    Details {
        /// The visible line.
        summary: String,
        /// The folded content.
        blocks: Vec<Block>,
    },
}

/// A table with a caption.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Shown above it.
    pub caption: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Section {
    /// A section with `heading`.
    pub fn new(heading: impl Into<String>) -> Self {
        Self {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a paragraph.
    pub fn paragraph(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Paragraph(text.into()));
    }

    /// Adds a table without a caption.
    pub fn table(&mut self, headers: Vec<String>, rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(Table {
            caption: String::new(),
            headers,
            rows,
        }));
    }
}

/// Renders to GitHub-flavoured Markdown; figures link to their SVG files.
pub fn markdown(document: &Document) -> String {
    let mut out = format!("# {}\n", document.title);
    for section in &document.sections {
        out.push_str(&format!("\n## {}\n", section.heading));
        for block in &section.blocks {
            markdown_block(block, &mut out);
        }
    }
    out
}

fn markdown_block(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph(text) => out.push_str(&format!("\n{text}\n")),
        Block::List(items) => {
            out.push('\n');
            for item in items {
                out.push_str(&format!("- {item}\n"));
            }
        }
        Block::Table(table) => {
            if !table.caption.is_empty() {
                out.push_str(&format!("\n**{}**\n", table.caption));
            }
            out.push('\n');
            let row = |cells: &[String]| {
                let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
                format!("| {} |\n", cells.join(" | "))
            };
            out.push_str(&row(&table.headers));
            let rule: Vec<String> = table
                .headers
                .iter()
                .enumerate()
                .map(|(i, _)| if i == 0 { "---".into() } else { "---:".into() })
                .collect();
            out.push_str(&format!("|{}|\n", rule.join("|")));
            for cells in &table.rows {
                out.push_str(&row(cells));
            }
        }
        Block::Figure { file, caption, .. } => {
            out.push_str(&format!("\n![{caption}]({file})\n\n*{caption}*\n"));
        }
        Block::Details { summary, blocks } => {
            out.push_str(&format!("\n<details><summary>{summary}</summary>\n"));
            for block in blocks {
                markdown_block(block, out);
            }
            out.push_str("\n</details>\n");
        }
    }
}

/// Renders one self-contained HTML page: inline CSS, inline SVG, no script, no external
/// resource.
pub fn html(document: &Document) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(&document.title)));
    out.push_str(STYLE);
    out.push_str("</head><body>\n");
    out.push_str(&format!("<h1>{}</h1>\n", escape(&document.title)));
    out.push_str("<nav><ul>");
    for (i, section) in document.sections.iter().enumerate() {
        out.push_str(&format!(
            "<li><a href=\"#s{i}\">{}</a></li>",
            escape(&section.heading)
        ));
    }
    out.push_str("</ul></nav>\n");
    for (i, section) in document.sections.iter().enumerate() {
        out.push_str(&format!(
            "<section id=\"s{i}\"><h2>{}</h2>\n",
            escape(&section.heading)
        ));
        for block in &section.blocks {
            html_block(block, &mut out);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body></html>\n");
    out
}

fn html_block(block: &Block, out: &mut String) {
    match block {
        Block::Paragraph(text) => out.push_str(&format!("<p>{}</p>\n", inline(text))),
        Block::List(items) => {
            out.push_str("<ul>");
            for item in items {
                out.push_str(&format!("<li>{}</li>", inline(item)));
            }
            out.push_str("</ul>\n");
        }
        Block::Table(table) => {
            out.push_str("<table>");
            if !table.caption.is_empty() {
                out.push_str(&format!("<caption>{}</caption>", inline(&table.caption)));
            }
            out.push_str("<thead><tr>");
            for header in &table.headers {
                out.push_str(&format!("<th>{}</th>", inline(header)));
            }
            out.push_str("</tr></thead><tbody>");
            for row in &table.rows {
                out.push_str("<tr>");
                for cell in row {
                    out.push_str(&format!("<td>{}</td>", inline(cell)));
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table>\n");
        }
        Block::Figure { svg, caption, .. } => {
            // The SVG text is inlined without its XML declaration, which HTML does not allow.
            let svg = svg
                .trim_start()
                .strip_prefix("<?xml")
                .and_then(|rest| rest.split_once("?>").map(|(_, svg)| svg))
                .unwrap_or(svg);
            out.push_str(&format!(
                "<figure>{svg}<figcaption>{}</figcaption></figure>\n",
                inline(caption)
            ));
        }
        Block::Details { summary, blocks } => {
            out.push_str(&format!("<details><summary>{}</summary>", inline(summary)));
            for block in blocks {
                html_block(block, out);
            }
            out.push_str("</details>\n");
        }
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Escapes text and renders the Markdown the report uses inline: `code` and **bold**.
fn inline(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            for (j, piece) in part.split("**").enumerate() {
                if j % 2 == 1 {
                    out.push_str(&format!("<strong>{piece}</strong>"));
                } else {
                    out.push_str(piece);
                }
            }
        }
    }
    out
}

const STYLE: &str = "<style>
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.85em;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f3f3f3}caption{text-align:left;font-weight:600;padding:.3em 0}
figure{margin:1em 0;overflow-x:auto}figcaption{font-size:.9em;color:#555}
code{background:#f3f3f3;padding:0 .2em}nav ul{columns:2;font-size:.9em}
details{margin:1em 0}summary{cursor:pointer;font-weight:600}
</style>
";

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Document {
        let mut section = Section::new("Results <1>");
        section.paragraph("`a` ran **2.00** times faster");
        section.blocks.push(Block::Table(Table {
            caption: "t".into(),
            headers: vec!["function".into(), "x|y".into()],
            rows: vec![vec!["matmul".into(), "1.0".into()]],
        }));
        section.blocks.push(Block::Figure {
            file: "f.svg".into(),
            svg: "<?xml version=\"1.0\"?><svg></svg>".into(),
            caption: "c".into(),
        });
        Document {
            title: "T".into(),
            sections: vec![section],
        }
    }

    #[test]
    fn markdown_escapes_pipes_and_links_figures() {
        let md = markdown(&document());
        assert!(md.contains("| function | x\\|y |"), "{md}");
        assert!(md.contains("![c](f.svg)"), "{md}");
    }

    #[test]
    fn html_is_self_contained_and_escaped() {
        let html = html(&document());
        assert!(html.contains("Results &lt;1&gt;"));
        assert!(html.contains("<code>a</code> ran <strong>2.00</strong>"));
        assert!(html.contains("<figure><svg></svg>"), "{html}");
        assert!(!html.contains("<?xml"));
        assert!(
            !html.contains("http://") && !html.contains("https://") && !html.contains("<script")
        );
    }
}
