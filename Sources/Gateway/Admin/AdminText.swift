import Dialects
import Foundation
import Hummingbird

/// Refuses admin query parameters that cannot be a clean piece of text: a NUL byte or invalid UTF-8.
///
/// Such a value cannot mean what it seems to: PostgreSQL stops a text parameter at a NUL (so
/// `user_id=%00` would select by the empty string), and invalid UTF-8 is not text at all. Every admin
/// request goes through ``checkQuery(_:)`` (in ``AdminAuthenticator``), and every admin body through
/// ``AdminJSON/check(_:)``, so each route gets only values it can use, and the client a 400 naming the field.
enum AdminText {
    /// Throws a 400 for the first query parameter (name or value) whose percent-decoded bytes hold a NUL
    /// or are not UTF-8.
    static func checkQuery(_ request: Request) throws {
        guard let query = request.uri.query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decoded(parts[0])
            let nameText = name.flatMap { String(validating: $0, as: UTF8.self) } ?? String(parts[0])
            for part in parts {
                guard let bytes = decoded(part), !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil else {
                    throw invalid(nameText)
                }
            }
        }
    }

    static func invalid(_ name: String) -> GatewayError {
        GatewayError(.invalidRequest, "'\(name)' must be text without NUL bytes, in valid UTF-8.", param: name)
    }

    /// The bytes `text` stands for, `+` as a space and `%XX` escapes decoded; nil for a broken escape.
    private static func decoded(_ text: Substring) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
