//! What a participant sees for each markdown construct, at a fixed width.

use super::*;

fn text(md: &str, width: u16) -> String {
    let r = render(md, width, &Theme::monochrome(), 1);
    r.lines
        .iter()
        .map(|l| l.to_string().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn headings_paragraphs_and_emphasis() {
    insta::assert_snapshot!(text(
        "# Stream changes\n\nA *connector* reads the **redo log** and writes `topics`.\nIt wraps when the line is long enough to need it.\n\n## Next\n\n### Small",
        40
    ));
}

#[test]
fn nested_lists_wrap_with_hanging_indent() {
    insta::assert_snapshot!(text(
        "- one item that is long enough to wrap onto a second line\n- two\n  - nested item also long enough to wrap\n  - [x] done task\n  - [ ] open task\n\n1. first\n2. second",
        36
    ));
}

#[test]
fn callouts_of_every_kind() {
    insta::assert_snapshot!(text(
        "> [!NOTE]\n> Notes wrap inside the bar when they are long.\n\n> [!TIP]\n> Tip.\n\n> [!IMPORTANT]\n> Important.\n\n> [!WARNING]\n> Warning.\n\n> [!CAUTION]\n> This costs money.\n\n> A plain quote.",
        40
    ));
}

#[test]
fn tables_fit_and_shrink() {
    let md = "| Stage | Time | Notes |\n|:--|--:|:-:|\n| Oracle VM | 7–14 min | boots and loads data |\n| Connector | 5 min | RUNNING |";
    insta::assert_snapshot!("table_wide", text(md, 60));
    insta::assert_snapshot!("table_narrow", text(md, 32));
}

#[test]
fn code_blocks_are_numbered_and_truncated_not_wrapped() {
    let r = render(
        "```sh\nterraform version\necho a very long line that will not fit in the width\n```\n\n    indented\n",
        30,
        &Theme::monochrome(),
        3,
    );
    let shown: Vec<String> = r.lines.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(shown.join("\n"));
    assert_eq!(r.code_blocks.len(), 2);
    assert_eq!(
        (r.code_blocks[0].index, r.code_blocks[0].lang.as_str()),
        (3, "sh")
    );
    assert_eq!(
        r.code_blocks[0].text,
        "terraform version\necho a very long line that will not fit in the width"
    );
    assert_eq!(r.code_blocks[1].index, 4);
}

#[test]
fn links_are_located_for_hyperlinks() {
    let r = render(
        "See [the Confluent docs](https://docs.confluent.io) and more.",
        20,
        &Theme::monochrome(),
        1,
    );
    let shown: Vec<String> = r.lines.iter().map(ToString::to_string).collect();
    assert_eq!(shown, vec!["See the Confluent", "docs and more."]);
    assert_eq!(
        r.links,
        vec![
            LinkSpan {
                line: 0,
                col: 4,
                width: 13,
                url: "https://docs.confluent.io".into()
            },
            LinkSpan {
                line: 1,
                col: 0,
                width: 4,
                url: "https://docs.confluent.io".into()
            },
        ]
    );
}

#[test]
fn html_comments_are_hidden_and_images_show_their_alt_text() {
    assert_eq!(
        text(
            "<!-- facilitator: hidden -->\n\n![lineage graph](x.png)",
            40
        ),
        "[image: lineage graph]"
    );
}

#[test]
fn styles_survive_for_the_coloured_theme() {
    let r = render(
        "**bold** `code` [link](https://x.io)",
        40,
        &Theme::colored(),
        1,
    );
    let styles: Vec<(String, Style)> = r.lines[0]
        .spans
        .iter()
        .map(|s| (s.content.to_string(), s.style))
        .collect();
    insta::assert_debug_snapshot!(styles);
}
