import Dialects
import Foundation
import Upstream

/// Replaces each remote image of a chat call by the base64 of its bytes, fetched before the call goes
/// upstream (Ollama takes only inline images), under ``ImageAddressPolicy``.
///
/// Each fetch resolves the host, checks every address, and pins the connection to the checked address
/// (`CURLOPT_RESOLVE`), so a DNS answer that changes between check and connect cannot reach a refused one.
/// Redirects are followed here, at most ``maxRedirects``, each target checked again. A body must be
/// `image/*` and at most `maxBytes`; all of one call's fetches share one deadline. Any refusal or failure is
/// a 400 naming the host only (the path or query may hold a token).
struct RemoteImages: Sendable {
    static let maxRedirects = 3
    /// Remote images one call may carry; more is a 400 (each is up to `maxBytes` in memory).
    static let maxImagesPerCall = 16

    let engine: CurlEngine
    let policy: ImageAddressPolicy
    let enabled: Bool
    let maxBytes: Int
    let timeout: Duration

    init(engine: CurlEngine, config: GatewayConfig.Images) {
        self.engine = engine
        self.policy = ImageAddressPolicy(allowing: config.allowHosts)
        self.enabled = config.fetchRemote
        self.maxBytes = config.maxBytes
        self.timeout = .milliseconds(config.fetchTimeoutMs)
    }

    /// Inlines every remote image of `chat`; throws a `GatewayError` (400) on the first that cannot be.
    func inline(_ chat: inout ChatRequest) async throws {
        let remote = chat.messages.flatMap(\.images).filter { $0.remoteURL != nil }.count
        guard remote > 0 else { return }
        guard enabled else {
            throw GatewayError(.invalidRequest, "Remote image URLs are turned off on this gateway; send the image as base64 data.", code: "invalid_image_url")
        }
        guard remote <= Self.maxImagesPerCall else {
            throw GatewayError(.invalidRequest, "A request may carry at most \(Self.maxImagesPerCall) remote image URLs.", code: "invalid_image_url")
        }
        let deadline = ContinuousClock.now + timeout
        for m in chat.messages.indices {
            for i in chat.messages[m].images.indices {
                guard let url = chat.messages[m].images[i].remoteURL else { continue }
                let bytes = try await fetch(url, deadline: deadline)
                chat.messages[m].images[i] = .base64(Data(bytes).base64EncodedString())
            }
        }
    }

    /// The image's bytes, following redirects, checking each hop.
    func fetch(_ url: String, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        var current = url
        for _ in 0...Self.maxRedirects {
            let target = try Target(current)
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw target.error("fetching it took too long") }
            let addresses: [IPAddress]
            if let literal = IPAddress(target.host) {
                addresses = [literal]
            } else {
                do {
                    addresses = try await HostResolver.addresses(of: target.host, within: remaining)
                } catch let failure as HostResolver.Failure {
                    throw target.error(failure.reason)
                }
            }
            if let reason = policy.refusal(host: target.host, addresses: addresses) {
                throw target.error("\(reason), which this gateway does not fetch from")
            }
            let pinned = addresses[0].isIPv4 ? "\(addresses[0])" : "[\(addresses[0])]"
            var request = UpstreamRequest(
                url: current, connectTimeout: min(remaining, .seconds(5)), firstByteTimeout: remaining, totalTimeout: remaining
            )
            request.pinnedAddresses = ["\(target.curlHost):\(target.port):\(pinned)"]
            request.allowedProtocols = "http,https"
            request.maxBodyBytes = maxBytes
            request.headers = [("Accept", "image/*")]
            let response: UpstreamResponse
            do {
                response = try await engine.execute(request)
            } catch let error as UpstreamError {
                throw target.error(describe(error))
            }
            if (300..<400).contains(response.status), let next = response.redirectURL {
                response.body.cancel()
                current = next
                continue
            }
            guard (200..<300).contains(response.status) else {
                response.body.cancel()
                throw target.error("it answered HTTP \(response.status)")
            }
            let type = (response.contentType ?? "").lowercased().trimmingCharacters(in: .whitespaces)
            guard type.hasPrefix("image/") else {
                response.body.cancel()
                throw target.error("it is not an image (content type `\(type.isEmpty ? "none" : String(type.prefix(64)))`)")
            }
            do {
                let bytes = try await response.body.collect(upTo: maxBytes)
                guard !bytes.isEmpty else { throw target.error("the image is empty") }
                return bytes
            } catch let error as UpstreamError {
                throw target.error(describe(error))
            }
        }
        throw try Target(url).error("it redirected more than \(Self.maxRedirects) times")
    }

    private func describe(_ error: UpstreamError) -> String {
        switch error.code {
        case .totalTimeout, .firstByteTimeout, .connectTimeout, .idleTimeout: "fetching it took too long"
        case .connectFailed: "the connection failed"
        default:
            error.message.contains("larger than") || error.message.lowercased().contains("file size")
                ? "the image is larger than \(maxBytes) bytes" : "the transfer failed"
        }
    }

    /// One URL's parts that the fetch needs; refuses what is not a plain http(s) URL.
    struct Target {
        let host: String
        /// The host as curl matches it in `CURLOPT_RESOLVE` (IPv6 literals keep their brackets).
        let curlHost: String
        let port: Int

        init(_ url: String) throws {
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
                let host = components.host, !host.isEmpty
            else {
                throw GatewayError(.invalidRequest, "The image URL is not a valid URL.", code: "invalid_image_url")
            }
            let bare = ImageAddressPolicy.normalized(host)
            guard scheme == "http" || scheme == "https" else {
                throw GatewayError(
                    .invalidRequest, "The image at host `\(bare)` cannot be fetched: only http and https URLs are.", code: "invalid_image_url"
                )
            }
            // curl and Foundation could read `user@host` forms differently, and then curl would connect
            // to a host that was never checked or pinned: URLs with credentials are refused.
            guard components.user == nil, components.password == nil else {
                throw GatewayError(.invalidRequest, "The image URL must not carry a user name or password.", code: "invalid_image_url")
            }
            self.host = bare
            self.curlHost = bare.contains(":") ? "[\(bare)]" : bare
            self.port = components.port ?? (scheme == "https" ? 443 : 80)
        }

        func error(_ reason: String) -> GatewayError {
            GatewayError(.invalidRequest, "The image at host `\(host)` cannot be fetched: \(reason).", code: "invalid_image_url")
        }
    }
}
