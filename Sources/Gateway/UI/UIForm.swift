import Dialects
import Foundation
import Hummingbird

/// A submitted dashboard form (`application/x-www-form-urlencoded`), read with a bound, and turned into
/// the typed request the admin services take, so a form and a JSON call are checked by the same code.
struct UIForm {
    /// The most bytes a dashboard form may have.
    static let maxBytes = 64 * 1024

    let values: [String: String]

    init(values: [String: String]) { self.values = values }

    /// Reads and decodes `request`'s body; a larger body is a 413, a malformed one a 400.
    static func read(_ request: Request) async throws -> UIForm {
        var request = request
        let buffer = try await request.collectBody(upTo: maxBytes)
        return try UIForm(encoded: String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    init(encoded: String) throws {
        var values: [String: String] = [:]
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = Self.decode(parts.count > 1 ? parts[1] : "") else {
                throw GatewayError(.invalidRequest, "The form is not valid URL-encoded text.")
            }
            guard !name.contains("\0"), !value.contains("\0") else {
                throw GatewayError(.invalidRequest, "'\(name)' must not contain a NUL character.", param: name)
            }
            values[name] = value
        }
        self.values = values
    }

    private static func decode(_ text: Substring) -> String? {
        String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The trimmed value, nil when absent or blank.
    func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    // MARK: Key forms

    /// The key create and edit forms as the `/key/generate` and `/key/update` JSON would carry them, decoded
    /// and validated by ``AdminJSON`` as that JSON is. `clearing`: a blank field clears the value (edit)
    /// instead of being left out (create).
    func keyRequest(clearing: Bool) throws -> KeyRequest {
        var object: [String: JSONValue] = [:]
        func put(_ name: String, _ value: JSONValue?) {
            if let value { object[name] = value } else if clearing { object[name] = .null }
        }
        put("key_alias", text("key_alias").map(JSONValue.string))
        put("user_id", text("user_id").map(JSONValue.string))
        for name in ["rpm_limit", "tpm_limit", "max_parallel_requests", "max_budget"] {
            // A number goes in as a number; anything else as text, which the decoder refuses with its message.
            put(name, text(name).map { Double($0).map(JSONValue.number) ?? .string($0) })
        }
        put("budget_duration", text("budget_duration").map(JSONValue.string))
        put("models", text("models").map { .array($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(JSONValue.string)) })
        if let metadata = text("metadata") {
            object["metadata"] = (try? JSONDecoder().decode(JSONValue.self, from: Data(metadata.utf8))) ?? .string(metadata)
        } else if clearing {
            object["metadata"] = .emptyObject
        }
        // The expiry: a date-time from the form's picker (local to the browser, sent without a zone, read as UTC),
        // or a duration such as 30d.
        if let expires = text("expires") {
            object["expires"] = .string(expires.count == 16 ? expires + ":00Z" : expires)
        } else if let duration = text("duration") {
            object["duration"] = .string(duration)
        } else if clearing {
            object["expires"] = .null
        }
        return try AdminJSON.decode(KeyRequest.self, from: Data(JSONValue.object(object).text.utf8))
    }
}
