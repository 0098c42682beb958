//! The one HTTP client rolecall uses outside the SDK (the console's federation endpoint): made
//! once per process, TLS checked against the platform's roots, `HTTPS_PROXY` / `NO_PROXY`
//! honoured.

use std::sync::OnceLock;

static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();

/// The process's HTTP client.
pub fn client() -> Result<&'static reqwest::Client, String> {
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                // Sign-in requests carry credentials: never follow a redirect elsewhere.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| {
                    format!(
                        "cannot set up HTTPS (TLS roots, proxy settings): {}",
                        super::error::error_chain(&e)
                    )
                })
        })
        .as_ref()
        .map_err(Clone::clone)
}
