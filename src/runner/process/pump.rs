//! Reads a child's stdout or stderr line by line into a [`LogSink`].

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::runner::LogSink;
use crate::runner::outcome::LogStream;

/// A line longer than this is passed on in pieces, so a program that never prints a newline
/// cannot grow the buffer without bound.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// Sends every line of `reader` to `log` until end of file (or a read error, which ends the
/// stream the same way). Returns the last line that was not blank, for error messages.
pub async fn pump<R>(reader: R, stream: LogStream, log: LogSink) -> Option<String>
where
    R: AsyncRead + Unpin,
{
    let mut reader = BufReader::new(reader);
    let mut line: Vec<u8> = Vec::new();
    let mut last = None;
    // A read error ends the stream just like end of file: there is nothing more to show.
    while let Ok(buf) = reader.fill_buf().await {
        if buf.is_empty() {
            break;
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(newline) => {
                line.extend_from_slice(&buf[..newline]);
                reader.consume(newline + 1);
                emit(&mut line, stream, &log, &mut last);
            }
            None => {
                let room = MAX_LINE_BYTES.saturating_sub(line.len());
                let take = buf.len().min(room);
                line.extend_from_slice(&buf[..take]);
                reader.consume(take);
                if line.len() >= MAX_LINE_BYTES {
                    emit(&mut line, stream, &log, &mut last);
                }
            }
        }
    }
    if !line.is_empty() {
        emit(&mut line, stream, &log, &mut last);
    }
    last
}

fn emit(line: &mut Vec<u8>, stream: LogStream, log: &LogSink, last: &mut Option<String>) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8_lossy(line).into_owned();
    line.clear();
    log.send(stream, &text);
    if !text.trim().is_empty() {
        *last = Some(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    async fn lines_of(input: &[u8]) -> (Vec<String>, Option<String>) {
        let (sink, mut rx) = LogSink::channel(Redactor::new());
        let last = pump(input, LogStream::Stdout, sink).await;
        let mut lines = Vec::new();
        while let Ok(l) = rx.try_recv() {
            lines.push(l.text);
        }
        (lines, last)
    }

    #[tokio::test]
    async fn splits_lines_and_keeps_the_last_non_blank_one() {
        let (lines, last) = lines_of(b"one\r\ntwo\n\nthree").await;
        assert_eq!(lines, ["one", "two", "", "three"]);
        assert_eq!(last.as_deref(), Some("three"));
        let (lines, last) = lines_of(b"err\n  \n").await;
        assert_eq!(lines, ["err", "  "]);
        assert_eq!(last.as_deref(), Some("err"));
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced_not_fatal() {
        let (lines, _) = lines_of(b"a\xffb\nnext\n").await;
        assert_eq!(lines, ["a\u{fffd}b", "next"]);
    }

    #[tokio::test]
    async fn endless_line_comes_out_in_capped_pieces() {
        let input = vec![b'x'; MAX_LINE_BYTES * 2 + 10];
        let (lines, _) = lines_of(&input).await;
        let lens: Vec<usize> = lines.iter().map(String::len).collect();
        assert_eq!(lens, [MAX_LINE_BYTES, MAX_LINE_BYTES, 10]);
    }
}
