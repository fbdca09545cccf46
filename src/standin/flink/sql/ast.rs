//! The statements, queries and expressions of the subset, as the parser builds them.

use std::collections::HashMap;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum SqlError {
    #[error("expected {expected}, found {found}")]
    Unexpected { expected: String, found: String },
    #[error("the stand-in does not run {0}")]
    Unsupported(String),
}

/// Column types as Flink names them (the ones the stand-in can write as Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlType {
    String,
    Boolean,
    Int,
    BigInt,
    Double,
    Float,
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// TIMESTAMP(p) and TIMESTAMP_LTZ(p): written as Avro timestamp-millis.
    Timestamp,
    Date,
    Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Statement {
    CreateTable {
        name: String,
        if_not_exists: bool,
        columns: Vec<ColumnDef>,
    },
    CreateTableAs {
        name: String,
        query: Query,
    },
    Insert {
        target: String,
        query: Query,
    },
    Query(Query),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Query {
    /// `UNION ALL` branches, in order.
    pub branches: Vec<Select>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Select {
    pub items: Vec<Item>,
    pub from: From,
    pub filter: Option<Expr>,
    /// `ROW_NUMBER()` state: rows seen so far per partition key (a streaming query remembers).
    pub seen: HashMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Star,
    Expr { expr: Expr, alias: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum From {
    /// A topic: the last part of a (back-quoted, dotted) path.
    Table(String),
    Query(Box<Query>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    /// `a`, `after.x`, `` `after`.x ``, `c.FIRST_NAME`: names exactly as written.
    Column(Vec<String>),
    Str(String),
    /// A numeric literal as written.
    Num(String),
    Bool(bool),
    Null,
    Cast(Box<Expr>, SqlType),
    /// A function call, its name upper-cased.
    Call(String, Vec<Expr>),
    /// `ROW_NUMBER() OVER (PARTITION BY … ORDER BY `$rowtime` ASC)`.
    RowNumber(Vec<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}
