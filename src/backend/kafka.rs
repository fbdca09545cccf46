//! Kafka records for people: the wire-format decoder, the topic reader and the schema cache.

mod binary;
pub mod decode;
mod json_text;
mod plan;
pub mod sample;
pub mod schemas;
