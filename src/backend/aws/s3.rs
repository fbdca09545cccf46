//! S3: `ListObjectsV2` (every page, by continuation token), `HeadBucket` and `PutObject` (what
//! the stand-in's S3 sink connector writes with; the guide itself never writes to a bucket).

use reqwest::Method;

use super::client::{AwsClient, Call, MAX_LIST_PAGES};
use super::error::{AwsError, AwsErrorKind, from_response};
use super::sigv4::{canonical_query, uri_encode};
use super::xml;
use super::{AwsScope, ObjectListing, S3Object};

/// One page of a listing.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Page {
    pub objects: Vec<S3Object>,
    pub next: Option<String>,
}

pub(crate) fn parse_page(body: &str) -> Result<Page, String> {
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("not XML ({e})"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "ListBucketResult" {
        return Err(format!(
            "expected <ListBucketResult>, got <{}>",
            root.tag_name().name()
        ));
    }
    let objects = xml::children(root, "Contents")
        .filter_map(|c| {
            Some(S3Object {
                key: xml::child_text(c, "Key")?,
                size: xml::child_text(c, "Size")
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0),
                last_modified: xml::child_text(c, "LastModified").unwrap_or_default(),
            })
        })
        .collect();
    let truncated = xml::child_text(root, "IsTruncated").is_some_and(|t| t.trim() == "true");
    let next =
        xml::child_text(root, "NextContinuationToken").filter(|t| truncated && !t.is_empty());
    Ok(Page { objects, next })
}

impl AwsClient {
    pub(crate) async fn s3_list(
        &self,
        scope: &AwsScope,
        bucket: &str,
        prefix: &str,
    ) -> Result<ObjectListing, AwsError> {
        let mut listing = ObjectListing::default();
        let mut token: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let mut params = vec![("list-type", "2"), ("prefix", prefix)];
            if let Some(t) = &token {
                params.push(("continuation-token", t.as_str()));
            }
            let mut call = Call::new("s3", Method::GET);
            call.bucket = Some(bucket);
            call.query = canonical_query(&params);
            let answer = self.send(scope, call).await?.ok()?;
            let page = parse_page(&answer.body).map_err(|e| answer.decode_error(e))?;
            listing.objects.extend(page.objects);
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(listing),
            }
        }
        listing.truncated = true;
        Ok(listing)
    }

    /// `PutObject`: one object at `key` (a `/` in it separates folders), signed with the
    /// body's SHA-256 in `x-amz-content-sha256` as S3 requires for a payload. A refusal comes
    /// back as the [`AwsError`] S3 described (`AccessDenied`, `NoSuchBucket`, …).
    pub async fn put_object(
        &self,
        scope: &AwsScope,
        bucket: &str,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), AwsError> {
        let mut call = Call::new("s3", Method::PUT);
        call.bucket = Some(bucket);
        // Encoded once, slashes kept: S3 signs the path exactly as it is sent.
        call.path = format!("/{}", uri_encode(key, true));
        call.headers
            .push(("content-type".into(), content_type.to_string()));
        call.body = body;
        self.send(scope, call).await?.ok().map(|_| ())
    }

    pub(crate) async fn s3_head_bucket(
        &self,
        scope: &AwsScope,
        bucket: &str,
    ) -> Result<bool, AwsError> {
        let mut call = Call::new("s3", Method::HEAD);
        call.bucket = Some(bucket);
        let answer = self.send(scope, call).await?;
        match answer.status {
            200..=299 => Ok(true),
            // The bucket exists, in another region than the one signed for.
            301 => Ok(true),
            404 => Ok(false),
            status => {
                let mut err = from_response(
                    status,
                    &answer.body,
                    answer.error_type.as_deref(),
                    answer.bucket_region.as_deref(),
                    &answer.request,
                );
                // A HEAD has no body: a bare 403 is a refused key or a bucket another account
                // owns, and only the participant can tell which.
                if status == 403 && err.code.is_none() {
                    err.kind = AwsErrorKind::AccessDenied;
                    err.message =
                        "403 (the key may not read it, or another AWS account owns a bucket of that name)"
                            .to_string();
                }
                Err(err)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_page_gives_keys_sizes_times_and_the_next_token() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>cmcdc-workshop-1a2b</Name><Prefix>topics/all_products/</Prefix><KeyCount>2</KeyCount>
  <MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
  <Contents><Key>topics/all_products/year=2026/part-0.avro</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified><Size>1024</Size></Contents>
  <Contents><Key>topics/all_products/year=2026/part-1.avro</Key><LastModified>2026-11-30T11:00:00.000Z</LastModified><Size>2048</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>"#;
        let page = parse_page(body).unwrap_or_default();
        assert_eq!(page.objects.len(), 2);
        assert_eq!(page.objects[1].size, 2048);
        assert_eq!(page.objects[0].last_modified, "2026-11-30T10:00:00.000Z");
        assert_eq!(
            page.next.as_deref(),
            Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        );
    }

    #[test]
    fn the_last_page_has_no_next_token_and_an_empty_bucket_no_objects() {
        let body = r#"<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>"#;
        assert_eq!(parse_page(body), Ok(Page::default()));
        assert!(parse_page("<Error/>").is_err());
    }
}
