//! The GraphQL subset: queries and mutations as GitHub answers them.

use super::*;

fn parse(query: &str) -> Result<(bool, Vec<Field>), String> {
    let variables = Map::new();
    Parser {
        tokens: tokens(query)?,
        at: 0,
        variables: &variables,
    }
    .operation()
}

#[test]
fn queries_with_aliases_arguments_and_variables_parse() {
    let (mutation, fields) =
            parse(r#"query Q($n: Int!) { repo: repository(owner: "acme", name: "widgets") { issue(number: 1) { title } } }"#)
                .unwrap();
    assert!(!mutation);
    assert_eq!(fields[0].key(), "repo");
    assert_eq!(fields[0].arg("owner"), Some(&json!("acme")));
    assert_eq!(fields[0].selection[0].name, "issue");
}

#[test]
fn fragments_and_deep_nesting_are_refused() {
    assert!(parse("{ repository { ...Fields } }").is_err());
    let deep = format!("{}{}", "{ a ".repeat(40), "}".repeat(40));
    assert!(parse(&deep).unwrap_err().contains("deeper"));
}
