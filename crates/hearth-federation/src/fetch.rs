//! Fetching remote ActivityPub documents: signed GETs by the instance actor (for peers in
//! authorized-fetch mode), every hop checked by the network guard, size-limited, and only
//! ActivityPub media types accepted.

use reqwest::header::{ACCEPT, CONTENT_TYPE, DATE, HOST, LOCATION};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::net::{check_peer_url, UrlRejection};
use crate::signatures::sign_get;
use crate::urls::authority;
use crate::vocab::{inbound, ACCEPT_ACTIVITY};
use crate::Federation;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not one Hearth may contact.
    #[error("refused to fetch {url}: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        reason: UrlRejection,
    },
    /// The instance policy refuses the host.
    #[error("refused to fetch {url}: {reason}")]
    Blocked {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The object was deleted (410).
    #[error("{0} is gone")]
    Gone(String),
    /// Any other non-success status.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// Connection, timeout or TLS failure.
    #[error("could not reach {url}: {reason}")]
    Network {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The answer was not an ActivityPub document.
    #[error("{url} did not answer with an ActivityPub document: {reason}")]
    Invalid {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

const MAX_REDIRECTS: usize = 1;

impl Federation {
    /// Fetches the document at `url` and checks that its `id` is on the same host as where it
    /// was found.
    pub async fn fetch_document(&self, url: &Url) -> Result<Value, FetchError> {
        let mut current = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let response = self.signed_get(&current, ACCEPT_ACTIVITY).await?;
            let status = response.status();
            if status.is_redirection() {
                let next = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| current.join(l).ok())
                    .ok_or_else(|| FetchError::Invalid {
                        url: current.to_string(),
                        reason: "redirect without a usable Location".into(),
                    })?;
                current = next;
                continue;
            }
            if status == StatusCode::GONE {
                return Err(FetchError::Gone(current.to_string()));
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: current.to_string(),
                    status: status.as_u16(),
                });
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            if !(content_type.starts_with("application/activity+json")
                || content_type.starts_with("application/ld+json"))
            {
                return Err(FetchError::Invalid {
                    url: current.to_string(),
                    reason: format!("content type {content_type:?}"),
                });
            }
            let body = self.read_limited(&current, response).await?;
            let doc: Value = serde_json::from_slice(&body).map_err(|e| FetchError::Invalid {
                url: current.to_string(),
                reason: format!("malformed JSON: {e}"),
            })?;
            let id = inbound::str_of(&doc, "id")
                .and_then(|id| Url::parse(id).ok())
                .ok_or_else(|| FetchError::Invalid {
                    url: current.to_string(),
                    reason: "the document has no id".into(),
                })?;
            if authority(&id) != authority(&current) {
                return Err(FetchError::Invalid {
                    url: current.to_string(),
                    reason: format!("the document claims the foreign id {id}"),
                });
            }
            return Ok(doc);
        }
        Err(FetchError::Invalid {
            url: url.to_string(),
            reason: "too many redirects".into(),
        })
    }

    /// A GET signed by the instance actor, after the network guard has approved `url`.
    pub async fn signed_get(
        &self,
        url: &Url,
        accept: &str,
    ) -> Result<reqwest::Response, FetchError> {
        check_peer_url(url, self.settings().allow_private_networks).map_err(|reason| {
            FetchError::Refused {
                url: url.to_string(),
                reason,
            }
        })?;
        if let hearth_moderation::Verdict::Refuse(reason) = self.judge_host(&authority(url)) {
            return Err(FetchError::Blocked {
                url: url.to_string(),
                reason,
            });
        }
        let key = self.instance_key().clone();
        let (target, accept_owned) = (url.clone(), accept.to_owned());
        let signed = self
            .on_cpu(move || sign_get(&key, &target, &accept_owned))
            .await;
        self.client()
            .get(url.clone())
            .header(ACCEPT, accept)
            .header(HOST, signed.host)
            .header(DATE, signed.date)
            .header("signature", signed.signature)
            .send()
            .await
            .map_err(|e| FetchError::Network {
                url: url.to_string(),
                reason: error_chain(&e),
            })
    }

    async fn read_limited(
        &self,
        url: &Url,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, FetchError> {
        let limit = self.settings().max_body_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| FetchError::Network {
            url: url.to_string(),
            reason: error_chain(&e),
        })? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::Invalid {
                    url: url.to_string(),
                    reason: format!("the document is larger than {limit} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// An error with its causes, on one line.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
