//! The one HTTP client rolecall uses outside the SDK (the console's federation endpoint): made
//! once per process, TLS checked against the platform's roots and the CA bundle's
//! ([`super::ca_bundle`]: `AWS_CA_BUNDLE`, the profile's `ca_bundle`), `HTTPS_PROXY` / `NO_PROXY`
//! honoured.

use std::sync::OnceLock;

static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();

/// The process's HTTP client.
pub fn client() -> Result<&'static reqwest::Client, String> {
    CLIENT
        .get_or_init(|| {
            let mut builder = reqwest::Client::builder()
                // Sign-in requests carry credentials: never follow a redirect elsewhere.
                .redirect(reqwest::redirect::Policy::none());
            if let Some(bundle) = super::ca_bundle::current() {
                let certs = bundle
                    .der()
                    .map(reqwest::Certificate::from_der)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        format!("{bundle} cannot be used: {}", super::error::error_chain(&e))
                    })?;
                builder = builder.tls_certs_merge(certs);
            }
            builder.build().map_err(|e| {
                format!(
                    "cannot set up HTTPS (TLS roots, CA bundle, proxy settings): {}",
                    super::error::error_chain(&e)
                )
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}
