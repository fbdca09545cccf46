//! stub: filled in by the runner work.
