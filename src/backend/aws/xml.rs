//! Small helpers over `roxmltree` for AWS's XML answers; names are matched without namespace,
//! since S3, EC2 and Redshift each declare their own.

use roxmltree::Node;

/// Direct children named `name`.
pub(crate) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The first direct child named `name`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> Option<Node<'a, 'i>> {
    children(node, name).next()
}

/// The text of the first direct child named `name`.
pub(crate) fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(|c| c.text().unwrap_or_default().to_string())
}

/// The text of the first element named `name` anywhere below `node`.
pub(crate) fn find_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.descendants()
        .find(|d| d.is_element() && d.tag_name().name() == name)
        .map(|d| d.text().unwrap_or_default().to_string())
}

/// Every element named `name` anywhere below `node`.
pub(crate) fn find_all<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.descendants()
        .filter(move |d| d.is_element() && d.tag_name().name() == name)
}
