//! The parser on every shape the subset knows, and on what it refuses.

#![allow(clippy::unwrap_used, clippy::panic)]

use super::*;

fn col(path: &[&str]) -> Expr {
    Expr::Column(path.iter().map(|s| s.to_string()).collect())
}

fn query(sql: &str) -> Query {
    match parse(sql).unwrap() {
        Statement::Query(q) | Statement::Insert { query: q, .. } => q,
        Statement::CreateTableAs { query, .. } => query,
        other => panic!("{other:?}"),
    }
}

#[test]
fn create_table_reads_columns_types_and_not_null() {
    let s = parse(
        "CREATE TABLE IF NOT EXISTS p (name STRING NOT NULL, price DECIMAL(9, 2), n INT,\n\
         big BIGINT, ok BOOLEAN, d DOUBLE, plain DECIMAL, ts TIMESTAMP(3), v VARCHAR(20),\n\
         PRIMARY KEY (name) NOT ENFORCED) WITH ('changelog.mode' = 'append');",
    )
    .unwrap();
    let Statement::CreateTable {
        name,
        if_not_exists,
        columns,
    } = s
    else {
        panic!("{s:?}")
    };
    assert_eq!((name.as_str(), if_not_exists), ("p", true));
    let types: Vec<_> = columns.iter().map(|c| (c.name.as_str(), c.ty)).collect();
    assert_eq!(
        types,
        [
            ("name", SqlType::String),
            (
                "price",
                SqlType::Decimal {
                    precision: 9,
                    scale: 2
                }
            ),
            ("n", SqlType::Int),
            ("big", SqlType::BigInt),
            ("ok", SqlType::Boolean),
            ("d", SqlType::Double),
            (
                "plain",
                SqlType::Decimal {
                    precision: 10,
                    scale: 0
                }
            ),
            ("ts", SqlType::Timestamp),
            ("v", SqlType::String),
        ]
    );
    assert!(!columns[0].nullable && columns[1].nullable);
}

#[test]
fn insert_with_nested_fields_quoted_tables_functions_and_conditions() {
    let sql = "INSERT INTO postgres_mycontacts\n\
        SELECT 'Mrs./Mr.', SPLIT_INDEX(`after`.name, ' ', 0), after.x AS y, \
        CAST(LIST_PRICE AS DECIMAL(9, 2)), a || 'b'\n\
        FROM `postgres.public.users` -- the shop\n\
        WHERE `after` IS NOT NULL AND op = 'c' OR NOT x IS NULL;";
    let Statement::Insert { target, query } = parse(sql).unwrap() else {
        panic!()
    };
    assert_eq!(target, "postgres_mycontacts");
    let s = &query.branches[0];
    assert_eq!(s.from, From::Table("postgres.public.users".into()));
    let exprs: Vec<_> = s
        .items
        .iter()
        .map(|i| match i {
            Item::Expr { expr, alias } => (expr.clone(), alias.clone()),
            Item::Star => panic!(),
        })
        .collect();
    assert_eq!(exprs[0].0, Expr::Str("Mrs./Mr.".into()));
    assert_eq!(
        exprs[1].0,
        Expr::Call(
            "SPLIT_INDEX".into(),
            vec![
                col(&["after", "name"]),
                Expr::Str(" ".into()),
                Expr::Num("0".into())
            ]
        )
    );
    assert_eq!(exprs[2], (col(&["after", "x"]), Some("y".into())));
    assert_eq!(
        exprs[3].0,
        Expr::Cast(
            Box::new(col(&["LIST_PRICE"])),
            SqlType::Decimal {
                precision: 9,
                scale: 2
            }
        )
    );
    assert_eq!(
        exprs[4].0,
        Expr::Call("CONCAT".into(), vec![col(&["a"]), Expr::Str("b".into())])
    );
    let Some(Expr::Or(left, right)) = &s.filter else {
        panic!("{:?}", s.filter)
    };
    assert!(matches!(**left, Expr::And(..)));
    assert!(matches!(**right, Expr::Not(_)));
}

#[test]
fn union_all_ctas_limit_and_the_dedup_pattern() {
    let q =
        query("SELECT a FROM t1 WHERE a IS NOT NULL UNION ALL SELECT b FROM `c`.`d`.t2 LIMIT 5");
    assert_eq!(q.branches.len(), 2);
    assert_eq!(q.branches[1].from, From::Table("t2".into()));
    assert_eq!(q.limit, Some(5));

    let Statement::CreateTableAs { name, query } = parse(
        "CREATE TABLE d AS SELECT a, b FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b \
         ORDER BY `$rowtime` ASC) AS rownum FROM src) WHERE rownum = 1;",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(name, "d");
    let outer = &query.branches[0];
    let From::Query(inner) = &outer.from else {
        panic!()
    };
    assert_eq!(inner.branches[0].items[0], Item::Star);
    assert_eq!(
        inner.branches[0].items[1],
        Item::Expr {
            expr: Expr::RowNumber(vec![col(&["a"]), col(&["b"])]),
            alias: Some("rownum".into())
        }
    );
    assert_eq!(
        outer.filter,
        Some(Expr::Cmp(
            Box::new(col(&["rownum"])),
            CmpOp::Eq,
            Box::new(Expr::Num("1".into()))
        ))
    );
}

#[test]
fn what_the_subset_lacks_is_an_error_not_a_guess() {
    for sql in [
        "SELECT a FROM t JOIN u ON t.id = u.id",
        "SELECT a, COUNT(*) FROM t GROUP BY a",
        "SELECT * FROM t, LATERAL TABLE(ML_PREDICT('m', t.x))",
        "SELECT a FROM (SELECT *, ROW_NUMBER() OVER (ORDER BY `$rowtime` DESC) AS r FROM t)",
        "CREATE TABLE t (x GEOMETRY)",
        "INSERT INTO t (a) SELECT a FROM s",
        "SELECT 'open FROM t",
        "SELECT a FROM t ~",
    ] {
        assert!(parse(sql).is_err(), "{sql}");
    }
    assert!(matches!(
        parse("SELECT a FROM t GROUP BY a"),
        Err(SqlError::Unsupported(_))
    ));
}
