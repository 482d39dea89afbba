import Foundation
import Logging
import Upstream

/// A JSON object as `JSONSerialization` reads it.
typealias JSONObject = [String: Any]

/// Why an admin call failed, already worded for the terminal.
enum AdminFailure: Error {
    /// The gateway answered with an error status; `message` is its `error.message` (or the raw body).
    case api(status: Int, message: String)
    /// The gateway could not be reached, or the transfer broke.
    case connection(String)
    /// The gateway answered 2xx with something that is not a JSON object.
    case badResponse(String)
    /// The command could not do what was asked (an alias that names no key, say).
    case refused(String)
}

/// Calls a gateway's admin API (`/key/*`, `/user/*`) with the master key.
///
/// Uses the project's libcurl engine (the same one the gateway uses for Ollama), so the binary does not
/// pull in FoundationNetworking. Call ``shutdown()`` when done.
final class AdminClient: Sendable {
    /// The gateway's base URL, without a trailing slash.
    let baseURL: String
    private let masterKey: String
    private let engine: CurlEngine

    /// The largest response body read; admin answers are small (a page holds at most 100 rows).
    private static let maxResponseBytes = 16 << 20

    init(baseURL: String, masterKey: String) {
        var trimmed = baseURL
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.baseURL = trimmed
        self.masterKey = masterKey
        // The engine logs only transport trouble, which reaches the user as an error anyway.
        self.engine = CurlEngine(logger: Logger(label: "tollgate.admin") { _ in SwiftLogNoOpLogHandler() })
    }

    /// Stops the engine's thread.
    func shutdown() { engine.shutdown() }

    /// `GET path?query`, leaving out the query items whose value is nil.
    func get(_ path: String, query: [(name: String, value: String?)] = []) async throws -> JSONObject {
        let items = query.compactMap { item in item.value.map { "\(Self.percentEncode(item.name))=\(Self.percentEncode($0))" } }
        return try await send("GET", path + (items.isEmpty ? "" : "?" + items.joined(separator: "&")), body: nil)
    }

    /// `POST path` with `body` as JSON.
    func post(_ path: String, body: JSONObject) async throws -> JSONObject {
        let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        return try await send("POST", path, body: Array(data))
    }

    private func send(_ method: String, _ path: String, body: [UInt8]?) async throws -> JSONObject {
        let url = baseURL + path
        var headers: [(name: String, value: String)] = [("Authorization", "Bearer \(masterKey)"), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let request = UpstreamRequest(
            method: method, url: url, headers: headers, body: body, connectTimeout: .seconds(5), firstByteTimeout: .seconds(60)
        )
        let status: Int
        let bytes: [UInt8]
        do {
            let response = try await engine.execute(request)
            status = response.status
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch let error as UpstreamError {
            throw AdminFailure.connection(Self.describe(error, baseURL: baseURL))
        }
        let parsed = try? JSONSerialization.jsonObject(with: Data(bytes))
        guard (200..<300).contains(status) else {
            throw AdminFailure.api(status: status, message: Self.errorMessage(parsed, bytes: bytes, status: status))
        }
        guard let object = parsed as? JSONObject else {
            throw AdminFailure.badResponse("the gateway's answer to \(method) \(path) is not a JSON object")
        }
        return object
    }

    /// `error.message` of a LiteLLM/OpenAI error body, else the body's text, else a word for the status.
    static func errorMessage(_ parsed: Any?, bytes: [UInt8], status: Int) -> String {
        if let error = (parsed as? JSONObject)?["error"] {
            if let message = (error as? JSONObject)?["message"] as? String { return message }
            if let message = error as? String { return message }
        }
        if let message = (parsed as? JSONObject)?["detail"] as? String { return message }
        let text = String(decoding: bytes.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { return text }
        return "HTTP \(status) with an empty body"
    }

    /// A transport failure in words: which URL, and what libcurl said.
    static func describe(_ error: UpstreamError, baseURL: String) -> String {
        switch error.code {
        case .connectFailed, .connectTimeout:
            return "cannot connect to the gateway at \(baseURL) (\(error.message)); is it running? (set --url or TOLLGATE_URL)"
        case .firstByteTimeout:
            return "the gateway at \(baseURL) did not answer in time"
        default:
            return "the request to the gateway at \(baseURL) failed: \(error.message)"
        }
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, so `+`, `&` and `=` survive.
    static func percentEncode(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
