//! A writer schema compiled for reading records: named types resolved to node indexes once,
//! field names and enum symbols already written as JSON, so decoding a record costs no name
//! lookups and no allocations.

use std::collections::HashMap;

use apache_avro::Schema;
use apache_avro::schema::Name;

pub(super) type NodeId = usize;

/// How fine a timestamp's unit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimeUnit {
    Millis,
    Micros,
    Nanos,
}

/// One type of the schema, as the reader needs it.
#[derive(Debug, Clone)]
pub(super) enum Node {
    Null,
    Boolean,
    /// `int`, `long` and `time-micros`: zig-zag varints shown as numbers.
    Long,
    Float,
    Double,
    /// Shown as hex: `bytes`, `big-decimal` (length-prefixed), `fixed` and `duration` (sized).
    Bytes,
    Sized(usize),
    String,
    Decimal {
        /// `Some(size)` when the decimal is a `fixed`, else length-prefixed bytes.
        fixed: Option<usize>,
        scale: usize,
    },
    Date,
    TimeMillis,
    Timestamp(TimeUnit),
    /// The symbols, each already a JSON string.
    Enum(Vec<Box<[u8]>>),
    Union(Vec<NodeId>),
    Array(NodeId),
    Map(NodeId),
    /// Each field's `"name":` prefix and its type.
    Record(Vec<(Box<[u8]>, NodeId)>),
}

#[derive(Debug, Clone)]
pub(super) struct Plan {
    nodes: Vec<Node>,
    root: NodeId,
}

/// Nesting deeper than this is a malformed (or hostile) schema, not a change event.
pub(super) const MAX_DEPTH: usize = 64;

impl Plan {
    pub fn compile(schema: &Schema, names: &HashMap<Name, Schema>) -> Result<Self, String> {
        let mut builder = Builder {
            names,
            nodes: Vec::new(),
            named: HashMap::new(),
        };
        let root = builder.node(schema, 0)?;
        Ok(Self {
            nodes: builder.nodes,
            root,
        })
    }

    pub fn root(&self) -> NodeId {
        self.root
    }

    pub fn node(&self, id: NodeId) -> &Node {
        // Every id handed out points into `nodes`; `Null` keeps a lookup total anyway.
        self.nodes.get(id).unwrap_or(&Node::Null)
    }
}

struct Builder<'a> {
    names: &'a HashMap<Name, Schema>,
    nodes: Vec<Node>,
    /// Named types compiled so far: a reference, or a record that contains itself, points here.
    named: HashMap<Name, NodeId>,
}

fn json_text(s: &str) -> Box<[u8]> {
    let mut out = Vec::with_capacity(s.len() + 2);
    super::json_text::string(&mut out, s);
    out.into_boxed_slice()
}

impl Builder<'_> {
    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn node(&mut self, schema: &Schema, depth: usize) -> Result<NodeId, String> {
        if depth > MAX_DEPTH {
            return Err("the schema nests too deeply".into());
        }
        let next = depth + 1;
        let node = match schema {
            Schema::Null => Node::Null,
            Schema::Boolean => Node::Boolean,
            Schema::Int | Schema::Long | Schema::TimeMicros => Node::Long,
            Schema::Float => Node::Float,
            Schema::Double => Node::Double,
            Schema::Bytes | Schema::BigDecimal => Node::Bytes,
            Schema::Fixed(f) => {
                let id = self.push(Node::Sized(f.size));
                self.named.insert(f.name.clone(), id);
                return Ok(id);
            }
            Schema::Duration => Node::Sized(12),
            Schema::String | Schema::Uuid => Node::String,
            Schema::Decimal(d) => Node::Decimal {
                fixed: match d.inner.as_ref() {
                    Schema::Fixed(f) => Some(f.size),
                    _ => None,
                },
                scale: d.scale,
            },
            Schema::Date => Node::Date,
            Schema::TimeMillis => Node::TimeMillis,
            Schema::TimestampMillis | Schema::LocalTimestampMillis => {
                Node::Timestamp(TimeUnit::Millis)
            }
            Schema::TimestampMicros | Schema::LocalTimestampMicros => {
                Node::Timestamp(TimeUnit::Micros)
            }
            Schema::TimestampNanos | Schema::LocalTimestampNanos => {
                Node::Timestamp(TimeUnit::Nanos)
            }
            Schema::Enum(e) => {
                let id = self.push(Node::Enum(e.symbols.iter().map(|s| json_text(s)).collect()));
                self.named.insert(e.name.clone(), id);
                return Ok(id);
            }
            Schema::Union(u) => {
                let branches = u
                    .variants()
                    .iter()
                    .map(|v| self.node(v, next))
                    .collect::<Result<_, _>>()?;
                Node::Union(branches)
            }
            Schema::Array(a) => Node::Array(self.node(&a.items, next)?),
            Schema::Map(m) => Node::Map(self.node(&m.types, next)?),
            Schema::Record(rec) => {
                // Registered before its fields, so a field of its own type refers back to it.
                let id = self.push(Node::Null);
                self.named.insert(rec.name.clone(), id);
                let mut fields = Vec::with_capacity(rec.fields.len());
                for f in &rec.fields {
                    let mut key = json_text(&f.name).into_vec();
                    key.push(b':');
                    fields.push((key.into_boxed_slice(), self.node(&f.schema, next)?));
                }
                self.nodes[id] = Node::Record(fields);
                return Ok(id);
            }
            Schema::Ref { name } => {
                if let Some(id) = self.named.get(name) {
                    return Ok(*id);
                }
                let names = self.names;
                let target = names.get(name).ok_or_else(|| {
                    format!("the schema names `{}` but never defines it", name.name)
                })?;
                return self.node(target, next);
            }
        };
        Ok(self.push(node))
    }
}
