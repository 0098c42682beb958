//! Everything that talks to AWS. It returns rolecall's own types and knows nothing of the screen.

pub mod act;
pub mod arn;
pub mod assume;
pub mod ca_bundle;
pub mod cloudtrail;
pub mod console;
pub mod credentials;
pub mod discovery;
pub mod ec2;
pub mod error;
pub mod http;
pub mod iam;
pub mod identity;
pub mod organizations;
pub mod policy;
pub mod profiles;
pub mod refresh;
pub mod session_cache;
pub mod sessions;
pub mod source;
pub mod sso;
pub mod target;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::config_bag::ConfigBag;

pub use error::{AwsError, ErrorKind};

/// How to build the primary SDK configuration.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// A profile from `~/.aws/config` (else `AWS_PROFILE`, else the default chain).
    pub profile: Option<String>,
    /// Region for the primary identity's calls (else `AWS_REGION` / the profile's region).
    pub region: Option<String>,
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// Attempts per call, retries included (the SDK's standard retry: backoff with jitter).
    pub max_attempts: Option<u32>,
    /// The endpoint of every service (else `AWS_ENDPOINT_URL`, else AWS's own): an emulator,
    /// a private endpoint.
    pub endpoint_url: Option<String>,
    /// The primary identity's credentials (else the standard chain).
    pub credentials: Option<credentials::Credentials>,
    /// IAM Identity Center is configured: a primary identity without credentials is no error
    /// (see `identity::caller_identity`).
    pub sso_only: bool,
    /// `[sessions] cache`: where role sessions (and the MFA session) are kept between runs;
    /// `None`: they live as long as the process.
    pub session_cache: Option<session_cache::CacheKind>,
}

impl AwsOptions {
    /// Which primary identity and endpoint these options mean, as far as can be told without a
    /// call: the profile, the access key id given in the environment (an identifier, not a
    /// secret) and the endpoint. Keys what rolecall caches of what that identity read (an
    /// organization's accounts), so another profile or an emulator keeps lists of its own.
    pub fn scope(&self) -> String {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let profile = self
            .profile
            .clone()
            .or_else(|| env("AWS_PROFILE"))
            .unwrap_or_else(|| "default".into());
        let key = self
            .credentials
            .as_ref()
            .map(|c| c.access_key_id.clone())
            .or_else(|| env("AWS_ACCESS_KEY_ID"))
            .unwrap_or_default();
        let endpoint = self
            .endpoint_url
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .unwrap_or_default();
        format!("profile={profile};key={key};endpoint={endpoint}")
    }
}

/// The primary identity's AWS setup: where calls go (endpoint, region), how (timeouts,
/// retries), and as whom (the standard credential chain, or the credentials given). Every call
/// rolecall makes starts from one; nothing outside `aws/` sees the SDK's configuration.
#[derive(Clone, Debug)]
pub struct Aws {
    sdk: SdkConfig,
    opts: AwsOptions,
    /// The primary identity's STS client, made once: a fan-out's thousand AssumeRoles would
    /// otherwise each make (and check) a client of their own.
    sts: std::sync::Arc<std::sync::OnceLock<aws_sdk_sts::Client>>,
    /// The sessions roles are reached through (`via`, the MFA session), made once.
    memo: std::sync::Arc<source::Memo>,
    /// The Identity Center tokens read, and the portal's pace.
    sso_tokens: sso::SharedTokens,
    /// `[sessions] cache`, opened (none when off, or when it cannot be used: said once).
    cache: Option<session_cache::SessionCache>,
    /// The credentials of the AWS config profiles roles are assumed from (`source_profile`).
    profiles: std::sync::Arc<
        tokio::sync::Mutex<
            std::collections::HashMap<
                String,
                aws_credential_types::provider::SharedCredentialsProvider,
            >,
        >,
    >,
}

impl Aws {
    /// Loads it from the standard chain: environment, profiles (SSO and `credential_process`
    /// included), container and instance roles. `AWS_ENDPOINT_URL` is honoured. No network call
    /// happens here: credentials are resolved on first use.
    pub async fn load(opts: &AwsOptions) -> Aws {
        Aws {
            sdk: load_sdk(opts).await,
            opts: opts.clone(),
            sts: Default::default(),
            memo: Default::default(),
            sso_tokens: Default::default(),
            cache: opts.session_cache.and_then(|kind| {
                session_cache::SessionCache::open(kind, &opts.scope())
                    .map_err(|e| tracing::warn!("sessions are not kept between runs: {e}"))
                    .ok()
            }),
            profiles: Default::default(),
        }
    }

    /// The session cache (`[sessions] cache`), when it is on.
    pub(in crate::aws) fn session_cache(&self) -> Option<&session_cache::SessionCache> {
        self.cache.as_ref()
    }

    /// Whether a primary identity without credentials is no error (Identity Center is set up).
    pub fn sso_only(&self) -> bool {
        self.opts.sso_only
    }

    pub(in crate::aws) fn memo(&self) -> &source::Memo {
        &self.memo
    }

    pub(in crate::aws) fn sso_tokens(&self) -> &sso::Tokens {
        &self.sso_tokens
    }

    /// The credentials of AWS config profile `name`, resolved as the AWS CLI resolves them
    /// (static keys, `source_profile` chains, `credential_source`, SSO, `credential_process`),
    /// through the same endpoint and HTTP client; made once per profile, so their own cache
    /// serves every role assumed from them.
    pub(in crate::aws) async fn profile_credentials(
        &self,
        name: &str,
    ) -> aws_credential_types::provider::SharedCredentialsProvider {
        let mut held = self.profiles.lock().await;
        if let Some(p) = held.get(name) {
            return p.clone();
        }
        // The profile's own credentials, as source_profile means them: not the environment's
        // (the default chain would put AWS_ACCESS_KEY_ID first).
        let config = aws_config::provider_config::ProviderConfig::default()
            .with_http_client(shared_http_client())
            .with_region(self.sdk.region().cloned())
            .with_behavior_version(Some(BehaviorVersion::latest()));
        let provider = aws_credential_types::provider::SharedCredentialsProvider::new(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&config)
                .profile_name(name)
                .build(),
        );
        held.insert(name.to_string(), provider.clone());
        provider
    }

    /// An MFA session kept in the session cache (none without one).
    pub(in crate::aws) fn cached_mfa_session(&self, key: &str) -> Option<credentials::Credentials> {
        self.cache.as_ref()?.get_credentials(key, source::MARGIN)
    }

    /// Keeps an MFA session in the session cache (when there is one).
    pub(in crate::aws) fn keep_mfa_session(
        &self,
        key: &str,
        serial: &str,
        credentials: &credentials::Credentials,
    ) {
        if let Some(cache) = &self.cache {
            cache.put_credentials(
                key,
                &format!("MFA session of {serial}"),
                serial,
                credentials,
            );
        }
    }

    pub(in crate::aws) fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// STS as the primary identity.
    pub(in crate::aws) fn sts(&self) -> &aws_sdk_sts::Client {
        self.sts.get_or_init(|| aws_sdk_sts::Client::new(&self.sdk))
    }

    /// The primary identity's region (`--region`, `AWS_REGION`, the profile's), if any.
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(|r| r.as_ref())
    }

    /// Whether the primary credentials can be found, and if they are temporary ones (a session
    /// token): the first thing `doctor` checks.
    pub async fn find_credentials(&self) -> Result<FoundCredentials, String> {
        use aws_credential_types::provider::ProvideCredentials;
        let Some(provider) = self.sdk.credentials_provider() else {
            return Err("no credential provider is configured".into());
        };
        match provider.provide_credentials().await {
            Ok(c) => Ok(FoundCredentials {
                temporary: c.session_token().is_some(),
            }),
            Err(e) => Err(error::error_chain(&e)),
        }
    }
}

impl Aws {
    /// The access key id the primary credentials sign with (never the secret): what the
    /// identity actions compare a key with, so rolecall never cuts the branch it sits on.
    pub async fn primary_key_id(&self) -> Option<String> {
        use aws_credential_types::provider::ProvideCredentials;
        let provider = self.sdk.credentials_provider()?;
        let c = provider.provide_credentials().await.ok()?;
        Some(c.access_key_id().to_string())
    }
}

/// What `Aws::find_credentials` found (never the credentials themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoundCredentials {
    pub temporary: bool,
}

/// The primary AWS setup, loaded on first use (by a background task, never the UI).
#[derive(Clone)]
pub struct LazyAws {
    opts: AwsOptions,
    cell: std::sync::Arc<tokio::sync::OnceCell<Aws>>,
}

impl LazyAws {
    pub fn new(opts: AwsOptions) -> Self {
        LazyAws {
            opts,
            cell: Default::default(),
        }
    }

    pub async fn get(&self) -> Aws {
        self.cell
            .get_or_init(|| Aws::load(&self.opts))
            .await
            .clone()
    }
}

/// Checks that a profile named with `--profile` / `AWS_PROFILE` exists, since the SDK would
/// otherwise fall through to other credential sources and fail with a confusing message.
pub fn check_profile(name: &str) -> Result<(), String> {
    let files = profiles::ProfileFiles::read()?;
    if files.has(name) {
        return Ok(());
    }
    let known = files.names();
    let where_ = "~/.aws/config or ~/.aws/credentials (or the files in AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)";
    Err(if known.is_empty() {
        format!("AWS profile \"{name}\" is not in {where_}, which define no profiles")
    } else {
        format!(
            "AWS profile \"{name}\" is not in {where_}; profiles there: {}",
            known.join(", ")
        )
    })
}

/// The region used when neither flags, environment nor profile name one. STS answers in every
/// region, so any works for the primary identity; this is the one the global endpoint lives in.
pub const FALLBACK_REGION: &str = "us-east-1";

/// The HTTP client every SDK client of the process shares. Each SDK client would otherwise make
/// its own, with its own connection pool: a fan-out over a thousand accounts then opens a new
/// connection (a TCP and TLS handshake, two round trips more against AWS) for every call. One
/// client keeps one pool (per timeout setting), so connections are reused across accounts and
/// regions, and at most as many are open as calls are in flight.
fn shared_http_client() -> SharedHttpClient {
    static CLIENT: std::sync::OnceLock<SharedHttpClient> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, Connector};
            // The system's roots, and AWS_CA_BUNDLE's (or the profile's ca_bundle) besides, as
            // the AWS CLI trusts them: behind a TLS-inspecting proxy, its CA is there.
            let mut roots = tls::TrustStore::default();
            if let Some(bundle) = ca_bundle::current() {
                tracing::debug!("trusting {} certificates of {bundle}", bundle.len());
                for pem in bundle.pem() {
                    roots.add_pem_certificate(pem);
                }
            }
            let tls_context = tls::TlsContext::builder()
                .with_trust_store(roots)
                .build()
                .unwrap_or_else(|e| {
                    tracing::warn!("the CA bundle is not used: {e}");
                    tls::TlsContext::default()
                });
            // The SDK's own client ignores HTTPS_PROXY; rolecall's honours HTTP_PROXY,
            // HTTPS_PROXY and NO_PROXY (either case), as the AWS CLI and the console sign-in do.
            let inner = Builder::new().build_with_connector_fn(move |settings, components| {
                let mut connector = Connector::builder();
                connector.set_connector_settings(settings.cloned());
                // (The time source is for the SDK's request telemetry only: the system's will do.)
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector
                    .proxy_config(ProxyConfig::from_env())
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .tls_context(tls_context.clone())
                    .build()
            });
            SharedHttpClient::new(CheckedOnce {
                inner,
                checked: std::sync::OnceLock::new(),
            })
        })
        .clone()
}

/// The shared HTTP client, checked once rather than by every SDK client made from it. The SDK
/// checks a client's HTTP client each time one is made (`Client::from_conf`), and the hyper client
/// answers by building a TLS connector — parsing every root certificate — that it throws away, only
/// to load the certificates early. A fan-out makes an STS client per account and an EC2 client per
/// account and region: that check was a quarter of its CPU (perf, 1 000 accounts).
#[derive(Debug)]
struct CheckedOnce {
    inner: SharedHttpClient,
    checked: std::sync::OnceLock<Result<(), String>>,
}

impl HttpClient for CheckedOnce {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.inner.http_connector(settings, components)
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.checked
            .get_or_init(|| {
                self.inner
                    .validate_base_client_config(components, cfg)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(BoxError::from)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.inner.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

async fn load_sdk(opts: &AwsOptions) -> SdkConfig {
    // The CA bundle is the options' profile's, when nothing read it yet (the command line reads it
    // at start-up, to refuse one it cannot use before any call).
    if let Err(e) = ca_bundle::init(opts.profile.as_deref()) {
        tracing::warn!("no CA bundle: {e}");
    }
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(shared_http_client());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(c.provider().sdk());
    }
    let mut timeouts = TimeoutConfig::builder();
    if let Some(t) = opts.timeout {
        timeouts = timeouts.operation_timeout(t);
    }
    if let Some(t) = opts.connect_timeout {
        timeouts = timeouts.connect_timeout(t);
    }
    if let Some(n) = opts.max_attempts {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(n.max(1)));
    }
    let config = loader.timeout_config(timeouts.build()).load().await;
    if config.region().is_some() {
        config
    } else {
        tracing::debug!("no region configured, using {FALLBACK_REGION} for the primary identity");
        config
            .into_builder()
            .region(Region::from_static(FALLBACK_REGION))
            .build()
    }
}
