//! Kafka records for people: the wire-format decoder (and, next, the topic sampler).

pub mod decode;
pub mod sample;
