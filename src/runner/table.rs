//! Query results as fixed-width text lines for a step's log (TUI and `run`): Flink statement
//! results and SQL query rows alike.

use unicode_width::UnicodeWidthStr;

use crate::backend::confluent::{ResultRow, StatementColumn};

/// Widest a column gets before its cells are cut with `…`.
pub const MAX_COLUMN_WIDTH: usize = 40;

fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "NULL".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn op_label(op: u8) -> &'static str {
    match op {
        1 => "-U",
        2 => "+U",
        3 => "-D",
        _ => "+I",
    }
}

fn fit(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = UnicodeWidthStr::width(text);
    for ch in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if total > width && used + w + 1 > width {
            out.push('…');
            used += 1;
            break;
        }
        if used + w > width {
            break;
        }
        out.push(ch);
        used += w;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

/// Header, rule and one line per row, columns as wide as their widest cell (capped).
pub fn render(header: &[String], rows: &[Vec<String>]) -> Vec<String> {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|row| row.get(i).map_or(0, |c| UnicodeWidthStr::width(c.as_str())))
                .chain(std::iter::once(UnicodeWidthStr::width(header[i].as_str())))
                .max()
                .unwrap_or(0)
                .min(MAX_COLUMN_WIDTH)
        })
        .collect();
    let line = |row: &[String]| {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| fit(row.get(i).map_or("", String::as_str), *w))
            .collect::<Vec<_>>()
            .join(" │ ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header)];
    out.push(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .join("─┼─"),
    );
    out.extend(rows.iter().map(|r| line(r)));
    out
}

/// A Flink statement's results. The changelog column appears only when some row is not a plain
/// insert, which is when it tells the participant something.
pub fn render_statement(columns: &[StatementColumn], rows: &[ResultRow]) -> Vec<String> {
    let with_op = rows.iter().any(|r| r.op != 0);
    let width_of = columns
        .len()
        .max(rows.iter().map(|r| r.cells.len()).max().unwrap_or(0));
    let mut header: Vec<String> = Vec::new();
    if with_op {
        header.push("op".to_string());
    }
    header.extend((0..width_of).map(|i| {
        columns
            .get(i)
            .map_or(format!("col{}", i + 1), |c| c.name.clone())
    }));
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut line = Vec::new();
            if with_op {
                line.push(op_label(r.op).to_string());
            }
            line.extend((0..width_of).map(|i| r.cells.get(i).map_or(String::new(), cell_text)));
            line
        })
        .collect();
    render(&header, &cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn col(name: &str) -> StatementColumn {
        StatementColumn {
            name: name.into(),
            data_type: "VARCHAR".into(),
        }
    }

    #[test]
    fn rows_line_up_under_their_columns_with_nulls_and_nested_values_readable() {
        let rows = vec![
            ResultRow {
                op: 0,
                cells: vec![json!("101"), json!("Jay"), json!(null)],
            },
            ResultRow {
                op: 0,
                cells: vec![json!("7"), json!("Amélie"), json!(["a", null])],
            },
        ];
        let lines = render_statement(&[col("id"), col("name"), col("tags")], &rows);
        assert_eq!(
            lines,
            vec![
                "id  │ name   │ tags".to_string(),
                "────┼────────┼───────────".to_string(),
                "101 │ Jay    │ NULL".to_string(),
                "7   │ Amélie │ [\"a\",null]".to_string(),
            ]
        );
    }

    #[test]
    fn an_update_stream_shows_the_changelog_column_and_long_cells_are_cut() {
        let long = "x".repeat(60);
        let rows = vec![
            ResultRow {
                op: 1,
                cells: vec![json!(long.clone())],
            },
            ResultRow {
                op: 2,
                cells: vec![json!("short")],
            },
        ];
        let lines = render_statement(&[col("v")], &rows);
        assert!(lines[0].starts_with("op │ v"), "{lines:?}");
        assert!(lines[2].starts_with("-U │ "), "{lines:?}");
        assert!(lines[2].ends_with('…'), "{lines:?}");
        assert_eq!(
            UnicodeWidthStr::width(lines[2].as_str()),
            5 + MAX_COLUMN_WIDTH
        );
        assert!(lines[3].starts_with("+U │ short"), "{lines:?}");
    }
}
