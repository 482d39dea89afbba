import Dialects

/// Takes secrets out of a payload before it is stored. Pure code: no I/O, no state but the field names.
///
/// What is redacted, whatever the configuration:
/// - the value of any object field named like a credential: `api_key`, `authorization`, `password`,
///   `secret`, `cookie`, `private_key`, `credentials`, and any name ending in `token`, `secret`,
///   `password` or `api_key` (`access_token`, `client_secret`, `x-api-key`, …). Names compare without
///   case, `-` or `_`; `max_tokens` and other names ending in `tokens` are left alone;
/// - in every string, anything that looks like a key: `sk-` followed by 20 or more key characters,
///   and the credential after `Bearer `;
/// - the fields named in `usage.redact_fields` (same comparison).
struct PayloadRedactor: Sendable {
    static let marker = "[REDACTED]"

    /// Normalized names whose values are always redacted.
    static let secretNames: Set<String> = [
        "apikey", "authorization", "proxyauthorization", "password", "passwd", "passphrase", "secret", "cookie",
        "setcookie", "privatekey", "credentials", "credential",
    ]
    /// Normalized name endings whose values are always redacted.
    static let secretSuffixes = ["token", "secret", "password", "apikey"]
    /// The shortest run after `sk-` taken for a key.
    static let minimumKeyLength = 20

    private let extraNames: Set<String>
    /// Field names every chat payload has and that are no secret (unless `redact_fields` names them):
    /// answered by one lookup, without normalizing the name.
    private let plainNames: Set<String>

    init(extraFields: [String] = []) {
        let extra = Set(extraFields.map(Self.normalized))
        extraNames = extra
        plainNames = Self.commonPlainNames.filter { !extra.contains(Self.normalized($0)) }
    }

    private static let commonPlainNames: Set<String> = [
        "model", "messages", "role", "content", "stream", "max_tokens", "temperature", "top_p", "tools", "tool_calls",
        "type", "text", "name", "id", "system", "user", "options", "format", "images", "thinking", "metadata",
        "input", "output", "message", "choices", "index", "finish_reason", "usage", "created", "object", "done",
    ]

    static func normalized(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0 != "-" && $0 != "_" })
    }

    /// Whether a field called `name` holds a secret.
    func isSecret(field name: String) -> Bool {
        if plainNames.contains(name) { return false }
        let name = Self.normalized(name)
        return Self.secretNames.contains(name) || extraNames.contains(name) || Self.secretSuffixes.contains { name.hasSuffix($0) }
    }

    /// A copy of `value` with every secret replaced by ``marker``; members keep their order.
    func redact(_ value: JSON) -> JSON {
        switch value {
        case .object(let members):
            .object(members.map { member in
                JSONMember(member.key, isSecret(field: member.key) && member.value != .null ? .string(Self.marker) : redact(member.value))
            })
        case .array(let items):
            .array(items.map(redact))
        case .string(let text):
            .string(redact(text: text))
        case .null, .bool, .number:
            value
        }
    }

    /// `text` with key-like runs (`sk-…`) and bearer credentials replaced by ``marker``. One pass over the
    /// UTF-8 bytes; a string with nothing to redact is returned as it is, without a copy.
    func redact(text: String) -> String {
        var text = text
        let redacted: [UInt8]? = text.withUTF8 { bytes in
            guard var index = firstSecret(in: bytes, from: 0) else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            output += bytes[..<index]
            let marker = Array(Self.marker.utf8)
            while index < bytes.count {
                if let end = keyEnd(in: bytes, at: index) {
                    output += marker
                    index = end
                } else if let (credentialStart, end) = bearerCredential(in: bytes, at: index) {
                    output += bytes[index..<credentialStart]
                    output += marker
                    index = end
                } else {
                    output.append(bytes[index])
                    index += 1
                }
            }
            return output
        }
        return redacted.map { String(decoding: $0, as: UTF8.self) } ?? text
    }

    /// Where the first key or bearer credential in `bytes` at or after `start` begins, if any.
    private func firstSecret(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            let byte = bytes[index] | 0x20
            if byte == UInt8(ascii: "s") && keyEnd(in: bytes, at: index) != nil { return index }
            if byte == UInt8(ascii: "b") && bearerCredential(in: bytes, at: index) != nil { return index }
            index += 1
        }
        return nil
    }

    /// The end of an `sk-` key starting at `index`, if one does.
    private func keyEnd(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int? {
        guard index + 3 <= bytes.count, bytes[index] == UInt8(ascii: "s"), bytes[index + 1] == UInt8(ascii: "k"),
            bytes[index + 2] == UInt8(ascii: "-")
        else { return nil }
        // Not the tail of a longer word ("task-…").
        if index > 0, Self.isKeyCharacter(bytes[index - 1]), bytes[index - 1] != UInt8(ascii: "-") { return nil }
        var end = index + 3
        while end < bytes.count, Self.isKeyCharacter(bytes[end]) { end += 1 }
        return end - (index + 3) >= Self.minimumKeyLength ? end : nil
    }

    /// For `Bearer <credential>` at `index`: where the credential starts and ends.
    private func bearerCredential(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Int, Int)? {
        let word = Self.bearer
        guard index + word.count < bytes.count else { return nil }
        for offset in 0..<word.count where bytes[index + offset] | 0x20 != word[offset] { return nil }
        var start = index + word.count
        while start < bytes.count, bytes[start] == UInt8(ascii: " ") { start += 1 }
        var end = start
        while end < bytes.count, !Self.isSpaceOrQuote(bytes[end]) { end += 1 }
        return end > start ? (start, end) : nil
    }

    /// `bearer ` in lower case; input bytes are compared with their 0x20 bit set (ASCII letters lowered).
    private static let bearer = Array("bearer ".utf8)

    /// Characters a key may contain after `sk-`: ASCII letters, digits, `-` and `_`.
    private static func isKeyCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    private static func isSpaceOrQuote(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: ",")
    }

    /// `text` cut to at most `maxBytes` UTF-8 bytes (on a character boundary) plus a visible marker saying
    /// how long it was; unchanged when it fits. Returns whether it was cut.
    static func cap(_ text: String, maxBytes: Int) -> (text: String, truncated: Bool) {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return (text, false) }
        var cut = utf8.index(utf8.startIndex, offsetBy: max(0, maxBytes))
        // Back off to the start of a UTF-8 sequence (continuation bytes are 0b10xxxxxx).
        while cut > utf8.startIndex, utf8[cut] & 0xC0 == 0x80 { cut = utf8.index(before: cut) }
        let kept = String(decoding: utf8[utf8.startIndex..<cut], as: UTF8.self)
        return (kept + "…[truncated: \(utf8.count) bytes in all]", true)
    }
}
