//! Fetching a JWKS document: one HTTP/1.1 GET over std `TcpStream`, wrapped in rustls for
//! https (aws-lc-rs provider, no OpenSSL/libcurl).
//!
//! Rules (DESIGN §3.4): https, or plain http only to a loopback host unless
//! `allow_insecure_http` (refused before any connection); no redirects (a 3xx is an error);
//! `timeout` bounds the whole exchange (name resolution, connect, TLS, request, last byte);
//! the body is capped at `max_bytes` whatever the headers say. Errors: transport problems →
//! NETWORK_ERROR; an answer we refuse (status, size, malformed HTTP) → JWKS_FETCH_FAILED.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

use crate::error::{Error, ErrorCode, Result};

/// Longest status line + headers accepted.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Longest single socket wait, so a cancelled background fetch notices promptly.
const POLL_SLICE: Duration = Duration::from_millis(100);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed JWKS URL (absolute http/https, no userinfo, no fragment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwksUrl {
    pub scheme: Scheme,
    /// Host name or IP literal, lower-cased, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Path and query, starting with '/'.
    pub target: String,
    /// The URL as configured (for messages).
    pub text: String,
}

fn config_error(message: String) -> Error {
    Error::new(ErrorCode::InvalidConfig, message)
}

impl JwksUrl {
    /// Parses an absolute `http://` or `https://` URL. Errors carry INVALID_CONFIG.
    pub fn parse(text: &str) -> Result<JwksUrl> {
        let bad = |why: &str| config_error(format!("jwks_uri {text:?} is not usable: {why}"));
        if text.len() > 2048 {
            return Err(config_error("jwks_uri is longer than 2048 bytes".into()));
        }
        if text.bytes().any(|b| b <= b' ' || b >= 0x7f) {
            return Err(bad(
                "it contains spaces, control or non-ASCII characters (percent-encode them)",
            ));
        }
        let (scheme, rest) = if let Some(r) = strip_prefix_ci(text, "https://") {
            (Scheme::Https, r)
        } else if let Some(r) = strip_prefix_ci(text, "http://") {
            (Scheme::Http, r)
        } else {
            return Err(bad(
                "it must start with https:// (or http:// for a loopback host)",
            ));
        };
        if rest.contains('#') {
            return Err(bad("it must not contain a fragment ('#')"));
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad("it must not contain user information ('user@')"));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| bad("the host or port is malformed"))?;
        if host.is_empty() {
            return Err(bad("it has no host"));
        }
        let port = match port {
            Some(p) => p,
            None if scheme == Scheme::Https => 443,
            None => 80,
        };
        let target = if target.is_empty() {
            "/".to_owned()
        } else if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_owned()
        };
        Ok(JwksUrl {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            target,
            text: text.to_owned(),
        })
    }

    /// True for 127.0.0.0/8, ::1 (and IPv4-mapped loopback) and the name "localhost".
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => a.is_loopback(),
            Ok(IpAddr::V6(a)) => {
                a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            Err(_) => false,
        }
    }

    pub(crate) fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let default = match self.scheme {
            Scheme::Https => 443,
            Scheme::Http => 80,
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix) {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &rest[..end];
        host.parse::<Ipv6Addr>().ok()?;
        let after = &rest[end + 1..];
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else {
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        // A registered name or IPv4 address; an IPv6 literal needs brackets (RFC 3986 §3.2.2).
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        {
            return None;
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return None,
        },
    };
    Some((host, port))
}

/// How to fetch: everything a request needs besides the URL.
#[derive(Clone)]
pub struct FetchSettings {
    pub timeout: Duration,
    pub allow_insecure_http: bool,
    pub max_bytes: usize,
    /// TLS configuration (trust anchors); None = the system roots, loaded on first use.
    pub tls: Option<Arc<ClientConfig>>,
}

/// Fetches the document at `url`. `cancel`, when set by another thread, aborts the exchange
/// at the next socket wait (within ~100 ms), except during name resolution or connect.
pub fn fetch(
    url: &JwksUrl,
    settings: &FetchSettings,
    cancel: Option<&AtomicBool>,
) -> Result<Vec<u8>> {
    if url.scheme == Scheme::Http && !settings.allow_insecure_http && !url.is_loopback() {
        return Err(Error::new(
            ErrorCode::JwksFetchFailed,
            format!(
                "refusing to fetch the JWKS over plain http from non-loopback host {:?}: use https, \
                 or set the option allow_insecure_http (not recommended)",
                url.host
            ),
        ));
    }
    let deadline = Instant::now() + settings.timeout;
    let ctx = Ctx {
        url,
        deadline,
        timeout: settings.timeout,
        cancel,
        what: "the JWKS",
    };
    let addrs = ctx.resolve()?;
    let tcp = ctx.connect(&addrs)?;
    let control = tcp
        .try_clone()
        .map_err(|e| ctx.io_error("preparing the connection", &e))?;
    let _ = tcp.set_nodelay(true);
    match url.scheme {
        Scheme::Http => ctx.exchange(
            Deadlined {
                inner: tcp,
                control,
                ctx: &ctx,
            },
            settings.max_bytes,
        ),
        Scheme::Https => {
            let config = match &settings.tls {
                Some(c) => c.clone(),
                None => system_tls_config()?,
            };
            let name = ServerName::try_from(url.host.clone()).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidConfig,
                    format!(
                        "jwks_uri host {:?} is not a valid TLS server name",
                        url.host
                    ),
                )
            })?;
            let conn = ClientConnection::new(config, name).map_err(|e| {
                Error::new(
                    ErrorCode::NetworkError,
                    format!("cannot start TLS with {}: {e}", url.host),
                )
            })?;
            let stream = StreamOwned::new(
                conn,
                Deadlined {
                    inner: tcp,
                    control,
                    ctx: &ctx,
                },
            );
            ctx.exchange(stream, settings.max_bytes)
        }
    }
}

pub(crate) struct Ctx<'a> {
    pub(crate) url: &'a JwksUrl,
    pub(crate) deadline: Instant,
    pub(crate) timeout: Duration,
    pub(crate) cancel: Option<&'a AtomicBool>,
    /// What is being fetched, for messages ("the JWKS", "the token introspection").
    pub(crate) what: &'static str,
}

impl Ctx<'_> {
    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    fn timed_out(&self) -> Error {
        Error::new(
            ErrorCode::NetworkError,
            format!(
                "fetching {} from {} timed out after {} s (request_timeout)",
                self.what,
                self.url.text,
                self.timeout.as_secs()
            ),
        )
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    pub(crate) fn io_error(&self, doing: &str, e: &io::Error) -> Error {
        if matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ) {
            return self.timed_out();
        }
        if let Some(tls) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Error::new(
                ErrorCode::NetworkError,
                format!("TLS with {} failed while {doing}: {tls} (check the certificate, or set ca_bundle)", self.url.host),
            );
        }
        Error::new(
            ErrorCode::NetworkError,
            format!("network error while {doing} ({}): {e}", self.url.text),
        )
    }

    pub(crate) fn resolve(&self) -> Result<Vec<SocketAddr>> {
        let port = self.url.port;
        if self.url.host == "localhost" {
            // Never ask DNS for "localhost": it must mean this machine.
            return Ok(vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
            ]);
        }
        if let Ok(ip) = self.url.host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        // std's resolver cannot be given a timeout: resolve on a helper thread and stop
        // waiting at the deadline (the helper ends when the system resolver answers).
        let (tx, rx) = mpsc::channel();
        let query = (self.url.host.clone(), port);
        thread::Builder::new()
            .name("gopher-orch-dns".into())
            .spawn(move || {
                let _ = tx.send(query.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
            })
            .map_err(|e| {
                Error::new(
                    ErrorCode::NetworkError,
                    format!("cannot start name resolution: {e}"),
                )
            })?;
        let wait = self.remaining().ok_or_else(|| self.timed_out())?;
        match rx.recv_timeout(wait) {
            Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
            Ok(Ok(_)) => Err(Error::new(
                ErrorCode::NetworkError,
                format!("host {} has no address", self.url.host),
            )),
            Ok(Err(e)) => Err(Error::new(
                ErrorCode::NetworkError,
                format!("cannot resolve host {}: {e}", self.url.host),
            )),
            Err(_) => Err(self.timed_out()),
        }
    }

    pub(crate) fn connect(&self, addrs: &[SocketAddr]) -> Result<TcpStream> {
        let mut last: Option<io::Error> = None;
        for addr in addrs {
            let Some(wait) = self.remaining() else { break };
            match TcpStream::connect_timeout(addr, wait) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        match last {
            Some(e)
                if !matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                ) =>
            {
                Err(Error::new(
                    ErrorCode::NetworkError,
                    format!(
                        "cannot connect to {} for {}: {e}",
                        self.url.host_header(),
                        self.what
                    ),
                ))
            }
            _ => Err(self.timed_out()),
        }
    }

    fn exchange<S: Read + Write>(&self, mut stream: S, max_bytes: usize) -> Result<Vec<u8>> {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/jwk-set+json, application/json\r\n\
             User-Agent: gopher-orch/{}\r\nConnection: close\r\n\r\n",
            self.url.target,
            self.url.host_header(),
            env!("CARGO_PKG_VERSION")
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| self.io_error("sending the request", &e))?;
        stream
            .flush()
            .map_err(|e| self.io_error("sending the request", &e))?;
        let mut reader = Buffered {
            stream,
            buf: Vec::with_capacity(8192),
            pos: 0,
            eof: false,
        };
        let head = reader.read_head().map_err(|e| self.read_error(e))?;
        let response = parse_head(&head).map_err(|why| self.malformed(why))?;
        if !(200..300).contains(&response.status) {
            let hint = if (300..400).contains(&response.status) {
                " (redirects are not followed: configure the final JWKS URL)"
            } else {
                ""
            };
            return Err(Error::new(
                ErrorCode::JwksFetchFailed,
                format!(
                    "the JWKS endpoint {} answered HTTP {}{hint}",
                    self.url.text, response.status
                ),
            ));
        }
        let too_large = || {
            Error::new(
                ErrorCode::JwksFetchFailed,
                format!(
                    "the JWKS from {} is larger than {max_bytes} bytes; refused",
                    self.url.text
                ),
            )
        };
        let body = if response.chunked {
            reader.read_chunked(max_bytes).map_err(|e| match e {
                ReadFail::TooLarge => too_large(),
                other => self.read_error(other),
            })?
        } else if let Some(len) = response.content_length {
            if len > max_bytes as u64 {
                return Err(too_large());
            }
            reader
                .read_exact_body(len as usize)
                .map_err(|e| self.read_error(e))?
        } else {
            reader.read_to_close(max_bytes).map_err(|e| match e {
                ReadFail::TooLarge => too_large(),
                other => self.read_error(other),
            })?
        };
        Ok(body)
    }

    pub(crate) fn malformed(&self, why: &str) -> Error {
        Error::new(
            ErrorCode::JwksFetchFailed,
            format!("malformed HTTP response from {}: {why}", self.url.text),
        )
    }

    pub(crate) fn read_error(&self, e: ReadFail) -> Error {
        match e {
            ReadFail::Io(e) => self.io_error("reading the response", &e),
            ReadFail::Malformed(why) => self.malformed(why),
            ReadFail::TooLarge => self.malformed("the response head is too large"),
        }
    }
}

/// A socket whose every wait is bounded by the fetch deadline and the cancel flag.
struct Deadlined<'a> {
    inner: TcpStream,
    control: TcpStream,
    ctx: &'a Ctx<'a>,
}

impl Deadlined<'_> {
    fn wait<T>(
        &mut self,
        mut op: impl FnMut(&mut TcpStream) -> io::Result<T>,
        read: bool,
    ) -> io::Result<T> {
        loop {
            if self.ctx.cancelled() {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "the client was destroyed",
                ));
            }
            let Some(left) = self.ctx.remaining() else {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline reached"));
            };
            let slice = Some(left.min(POLL_SLICE));
            if read {
                self.control.set_read_timeout(slice)?;
            } else {
                self.control.set_write_timeout(slice)?;
            }
            match op(&mut self.inner) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    continue
                }
                other => return other,
            }
        }
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.wait(|s| s.read(buf), true)
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.wait(|s| s.write(buf), false)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) enum ReadFail {
    Io(io::Error),
    Malformed(&'static str),
    TooLarge,
}

impl From<io::Error> for ReadFail {
    fn from(e: io::Error) -> Self {
        ReadFail::Io(e)
    }
}

pub(crate) struct Buffered<S> {
    pub(crate) stream: S,
    pub(crate) buf: Vec<u8>,
    pub(crate) pos: usize,
    pub(crate) eof: bool,
}

impl<S: Read> Buffered<S> {
    /// Reads more bytes into the buffer; false at end of stream.
    fn fill(&mut self) -> std::result::Result<bool, ReadFail> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        let mut chunk = [0u8; 8192];
        let n = match self.stream.read(&mut chunk) {
            Ok(n) => n,
            // A TLS peer that closes without close_notify: treat as end of stream; a
            // truncated body is still caught by the length checks or the JSON parser.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(true)
    }

    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    pub(crate) fn read_head(&mut self) -> std::result::Result<Vec<u8>, ReadFail> {
        loop {
            if let Some(end) = find(self.available(), b"\r\n\r\n") {
                let head = self.available()[..end].to_vec();
                self.pos += end + 4;
                return Ok(head);
            }
            if self.available().len() > MAX_HEAD_BYTES {
                return Err(ReadFail::TooLarge);
            }
            if !self.fill()? {
                return Err(ReadFail::Malformed(
                    "the connection closed before the response headers ended",
                ));
            }
        }
    }

    pub(crate) fn read_line(&mut self) -> std::result::Result<Vec<u8>, ReadFail> {
        loop {
            if let Some(end) = find(self.available(), b"\r\n") {
                let line = self.available()[..end].to_vec();
                self.pos += end + 2;
                return Ok(line);
            }
            if self.available().len() > 1024 {
                return Err(ReadFail::Malformed("a chunk-size line is too long"));
            }
            if !self.fill()? {
                return Err(ReadFail::Malformed(
                    "the connection closed inside a chunked body",
                ));
            }
        }
    }

    fn take(&mut self, n: usize, out: &mut Vec<u8>) -> std::result::Result<(), ReadFail> {
        let mut left = n;
        while left > 0 {
            if self.available().is_empty() && !self.fill()? {
                return Err(ReadFail::Malformed(
                    "the connection closed before the body ended",
                ));
            }
            let k = left.min(self.available().len());
            out.extend_from_slice(&self.available()[..k]);
            self.pos += k;
            left -= k;
        }
        Ok(())
    }

    pub(crate) fn read_exact_body(&mut self, len: usize) -> std::result::Result<Vec<u8>, ReadFail> {
        let mut body = Vec::with_capacity(len);
        self.take(len, &mut body)?;
        Ok(body)
    }

    pub(crate) fn read_to_close(&mut self, max: usize) -> std::result::Result<Vec<u8>, ReadFail> {
        let mut body = Vec::new();
        loop {
            let avail = self.available().len();
            if body.len() + avail > max {
                return Err(ReadFail::TooLarge);
            }
            body.extend_from_slice(self.available());
            self.pos += avail;
            if !self.fill()? {
                return Ok(body);
            }
        }
    }

    pub(crate) fn read_chunked(&mut self, max: usize) -> std::result::Result<Vec<u8>, ReadFail> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line()?;
            let size_text = line.split(|&b| b == b';').next().unwrap_or(&[]);
            let size_text = std::str::from_utf8(size_text)
                .map_err(|_| ReadFail::Malformed("bad chunk size"))?
                .trim();
            if size_text.is_empty() || size_text.len() > 8 {
                return Err(ReadFail::Malformed("bad chunk size"));
            }
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| ReadFail::Malformed("bad chunk size"))?;
            if size == 0 {
                return Ok(body); // trailers are not needed: the connection is closed anyway
            }
            if body.len() + size > max {
                return Err(ReadFail::TooLarge);
            }
            self.take(size, &mut body)?;
            if !self.read_line()?.is_empty() {
                return Err(ReadFail::Malformed("a chunk is not followed by CRLF"));
            }
        }
    }
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) content_length: Option<u64>,
    pub(crate) chunked: bool,
    /// The server closes the connection after this response (`Connection: close`, HTTP/1.0).
    pub(crate) close: bool,
}

pub(crate) fn parse_head(head: &[u8]) -> std::result::Result<Head, &'static str> {
    let text = std::str::from_utf8(head).map_err(|_| "the response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err("not an HTTP/1.x status line");
    }
    let code = parts.next().unwrap_or("");
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err("bad status code");
    }
    let status: u16 = code.parse().map_err(|_| "bad status code")?;
    let mut content_length = None;
    let mut chunked = false;
    let mut close = version == "HTTP/1.0";
    for line in lines {
        let (name, value) = line.split_once(':').ok_or("a header line has no ':'")?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            let n: u64 = value.parse().map_err(|_| "bad Content-Length")?;
            if content_length.is_some_and(|old| old != n) {
                return Err("conflicting Content-Length headers");
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else {
                return Err("unsupported Transfer-Encoding");
            }
        } else if name.eq_ignore_ascii_case("connection") {
            close = value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"));
        }
    }
    if chunked && content_length.is_some() {
        return Err("both Content-Length and chunked Transfer-Encoding");
    }
    Ok(Head {
        status,
        content_length,
        chunked,
        close,
    })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn config_with_roots(roots: RootCertStore) -> Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorCode::InternalError, format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The TLS configuration with the system's trust anchors (loaded once per process); when
/// the system has none, Mozilla's roots as compiled into webpki-roots.
pub fn system_tls_config() -> Result<Arc<ClientConfig>> {
    static CONFIG: OnceLock<std::result::Result<Arc<ClientConfig>, Error>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            let native = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(native.certs);
            if roots.is_empty() {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            config_with_roots(roots)
        })
        .clone()
}

/// The TLS configuration trusting only the certificates of a PEM file (the `ca_bundle`
/// option). Errors (INVALID_CONFIG) name the file and what is wrong with it.
pub fn tls_config_from_pem_file(path: &Path) -> Result<Arc<ClientConfig>> {
    let shown = path.display();
    let bad = |why: String| {
        Error::new(
            ErrorCode::InvalidConfig,
            format!("ca_bundle {shown:?}: {why}"),
        )
    };
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(|e| bad(format!("cannot read the file: {e}")))?;
    let mut roots = RootCertStore::empty();
    for cert in iter {
        let cert = cert.map_err(|e| bad(format!("not a PEM certificate file: {e}")))?;
        roots.add(cert).map_err(|e| {
            bad(format!(
                "a certificate cannot be used as a trust anchor: {e}"
            ))
        })?;
    }
    if roots.is_empty() {
        return Err(bad("the file holds no PEM certificate".into()));
    }
    config_with_roots(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = JwksUrl::parse("https://Idp.Example:8443/realms/x/certs?a=1").unwrap();
        assert_eq!(
            (u.scheme, u.host.as_str(), u.port, u.target.as_str()),
            (Scheme::Https, "idp.example", 8443, "/realms/x/certs?a=1")
        );
        let u = JwksUrl::parse("http://[::1]:9/jwks").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        assert!(u.is_loopback());
        assert_eq!(JwksUrl::parse("https://idp.example").unwrap().target, "/");
        assert_eq!(
            JwksUrl::parse("https://idp.example?x").unwrap().target,
            "/?x"
        );
        for bad in [
            "ftp://x/",
            "https://",
            "https://u@h/",
            "https://h/#f",
            "https://h:0/",
            "https://h:99999/",
            "https://h x/",
            "https://h/é",
            "https://[zz]/",
            "//h/",
            // an IPv6 literal must be bracketed (RFC 3986 §3.2.2); a host never holds a ':'
            "http://::1/",
            "http://::ffff:127.0.0.1:80/",
            "https://idp.example:x:443/",
            "http://127.0.0.1:80:80/",
        ] {
            assert_eq!(
                JwksUrl::parse(bad).unwrap_err().code,
                ErrorCode::InvalidConfig,
                "{bad}"
            );
        }
    }

    #[test]
    fn loopback_hosts() {
        for (url, lo) in [
            ("http://127.0.0.1/", true),
            ("http://127.9.9.9:80/", true),
            ("http://localhost:1/", true),
            ("http://LOCALHOST/", true),
            ("http://[::1]/", true),
            ("http://[::ffff:127.0.0.1]/", true),
            ("http://10.0.0.1/", false),
            ("http://localhost.evil.example/", false),
            ("http://127.0.0.1.nip.io/", false),
        ] {
            assert_eq!(JwksUrl::parse(url).unwrap().is_loopback(), lo, "{url}");
        }
    }

    #[test]
    fn parses_heads() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y").unwrap();
        assert_eq!(
            (h.status, h.content_length, h.chunked),
            (200, Some(12), false)
        );
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked").unwrap();
        assert!(h.chunked);
        assert!(parse_head(b"HTTP/2 200").is_err());
        assert!(parse_head(b"HTTP/1.1 20 OK").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip").is_err());
    }

    #[test]
    fn decodes_chunked_bodies_with_a_cap() {
        let raw = b"4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\n".to_vec();
        let mut r = Buffered {
            stream: io::Cursor::new(raw.clone()),
            buf: Vec::new(),
            pos: 0,
            eof: false,
        };
        assert_eq!(r.read_chunked(100).ok().unwrap(), b"abcdefg");
        let mut r = Buffered {
            stream: io::Cursor::new(raw),
            buf: Vec::new(),
            pos: 0,
            eof: false,
        };
        assert!(matches!(r.read_chunked(5), Err(ReadFail::TooLarge)));
    }

    #[test]
    fn plain_http_to_remote_hosts_is_refused_before_connecting() {
        // 192.0.2.1 is TEST-NET-1: a connection attempt would hang until the timeout.
        let url = JwksUrl::parse("http://192.0.2.1/jwks").unwrap();
        let settings = FetchSettings {
            timeout: Duration::from_secs(30),
            allow_insecure_http: false,
            max_bytes: 1024,
            tls: None,
        };
        let started = Instant::now();
        let err = fetch(&url, &settings, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::JwksFetchFailed);
        assert!(
            err.message.contains("allow_insecure_http"),
            "{}",
            err.message
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn ca_bundle_errors_name_the_problem() {
        let err = tls_config_from_pem_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert!(err.message.contains("cannot read"), "{}", err.message);
        let dir = std::env::temp_dir().join(format!("gopher-orch-ca-{}", std::process::id()));
        std::fs::write(&dir, "not pem").unwrap();
        let err = tls_config_from_pem_file(&dir).unwrap_err();
        assert!(
            err.message.contains("no PEM certificate"),
            "{}",
            err.message
        );
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn system_roots_load() {
        assert!(system_tls_config().is_ok());
    }
}
