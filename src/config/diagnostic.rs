//! Problems found in a rules file, and how they are shown: rustc-style text
//! for people, JSON for CI.

use std::fmt;
use std::ops::Range;

use serde::Serialize;

use crate::limits::MAX_EXCERPT_CHARS;

/// How bad a problem is. Errors make the file unusable; warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One step into the document: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl From<&str> for Segment {
    fn from(key: &str) -> Self {
        Segment::Key(key.to_owned())
    }
}

impl From<usize> for Segment {
    fn from(index: usize) -> Self {
        Segment::Index(index)
    }
}

/// Where in the document a problem is, as keys: `labels.implies[0].when[1]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    /// This path, one step deeper.
    pub fn join(&self, segment: impl Into<Segment>) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment.into());
        KeyPath(segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Serialize for KeyPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A position in the file, 1-based, with the byte range it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    #[serde(skip)]
    pub span: Range<usize>,
}

impl Location {
    /// The location of a byte range in `source`. Columns count characters.
    pub fn of(source: &str, span: Range<usize>) -> Self {
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..start].chars().count() + 1;
        Location { line, column, span }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A problem in a rules file that a maintainer can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub severity: Severity,
    /// Where, as keys; empty for problems of the whole document.
    pub path: KeyPath,
    pub message: String,
    /// Where, as line and column; `None` when the place cannot be pointed at.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// A hint on how to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The file it is in, when not the one checked: the base it extends
    /// (`acme/.github:.github/probot.toml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// A workflow command's message, escaped as GitHub's toolkit does.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: the message's escapes, and the
/// separators of properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Problem {
    pub fn error(path: KeyPath, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Error,
            path,
            message: message.into(),
            location: None,
            help: None,
            file: None,
        }
    }

    pub fn warning(path: KeyPath, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(path, message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The problem as a GitHub Actions workflow command, which GitHub
    /// shows as an annotation at the file, line and column: one line,
    /// escaped as GitHub's toolkit escapes (`%`, CR and LF in the message;
    /// also `:` and `,` in the properties).
    pub fn workflow_command(&self, file: &str) -> String {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![format!("file={}", escape_property(file))];
        if let Some(location) = &self.location {
            properties.push(format!("line={}", location.line));
            properties.push(format!("col={}", location.column));
        }
        properties.push(format!("title={}", escape_property("probot check")));
        let mut message = self.message.clone();
        if !self.path.0.is_empty() {
            message.push_str(&format!(" (key {})", self.path));
        }
        if let Some(help) = &self.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        format!(
            "::{level} {}::{}",
            properties.join(","),
            escape_data(&message)
        )
    }

    /// Renders the problem in the style of rustc: the message, the place,
    /// the source line with a caret under the span, and the key path.
    pub fn render(&self, file: &str, source: &str) -> String {
        use std::fmt::Write;
        let mut out = format!("{}: {}\n", self.severity, self.message);
        let Some(location) = &self.location else {
            let _ = writeln!(out, "  --> {file}");
            if !self.path.0.is_empty() {
                let _ = writeln!(out, "   = key: {}", self.path);
            }
            if let Some(help) = &self.help {
                let _ = writeln!(out, "   = help: {help}");
            }
            return out;
        };
        // Tabs become one space so that the caret lines up under the span.
        let line_text: Vec<char> = source
            .lines()
            .nth(location.line - 1)
            .unwrap_or("")
            .trim_end_matches('\r')
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .collect();
        let number = location.line.to_string();
        let gutter = " ".repeat(number.len());
        let underline_len = source
            .get(location.span.clone())
            .map(|text| {
                let first_line = text.split('\n').next().unwrap_or("");
                first_line.trim_end_matches('\r').chars().count()
            })
            .unwrap_or(0)
            .max(1);
        // A long line shows only a window around the column, so a problem
        // costs the same whatever the line's length.
        let column = location.column - 1;
        let window_start = column.saturating_sub(MAX_EXCERPT_CHARS / 3);
        let window_end = (window_start + MAX_EXCERPT_CHARS).min(line_text.len());
        let cut_before = if window_start > 0 { "…" } else { "" };
        let cut_after = if window_end < line_text.len() {
            "…"
        } else {
            ""
        };
        let shown: String = line_text
            .get(window_start..window_end)
            .unwrap_or_default()
            .iter()
            .collect();
        let line_text = format!("{cut_before}{shown}{cut_after}");
        let prefix_width = column - window_start + cut_before.chars().count();
        let underline_len = underline_len.min(window_end.saturating_sub(column).max(1));
        let _ = writeln!(
            out,
            "{gutter}--> {file}:{}:{}",
            location.line, location.column
        );
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {line_text}");
        let _ = writeln!(
            out,
            "{gutter} | {}{}",
            " ".repeat(prefix_width),
            "^".repeat(underline_len)
        );
        if !self.path.0.is_empty() {
            let _ = writeln!(out, "{gutter} = key: {}", self.path);
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{gutter} = help: {help}");
        }
        out
    }
}

/// The matcher, or a matcher of nothing with the list's problems reported.
pub(crate) fn report<M: Default>(
    compiled: Result<M, Vec<crate::matchers::PatternError>>,
    at: &KeyPath,
    problems: &mut Vec<Problem>,
) -> M {
    compiled.unwrap_or_else(|errors| {
        problems.extend(
            errors
                .into_iter()
                .map(|(i, message)| Problem::error(at.join(i), message)),
        );
        M::default()
    })
}
