import Crypto
import Foundation

/// Virtual key secrets: how they are made, hashed and shown.
///
/// A secret is `sk-` and 43 URL-safe base64 characters (32 bytes from the system's CSPRNG). Only its
/// SHA-256 is stored; the secret is returned once, when made, and never again.
enum KeySecret {
    static let prefix = "sk-"

    /// A fresh secret.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return prefix + encoded
    }

    /// The hex SHA-256 of the whole secret: what the database stores and admin calls may name a key by.
    static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Array(secret.utf8)))
    }

    /// `sk-…abcd`: enough to recognise a key, useless to use it.
    static func display(_ secret: String) -> String {
        prefix + "…" + secret.suffix(4)
    }

    /// The hash a caller meant: a secret (`sk-…`) is hashed, a 64-digit hex hash is taken as is.
    static func hash(naming reference: String) -> String? {
        if reference.hasPrefix(prefix) { return hash(reference) }
        let lower = reference.lowercased()
        return lower.count == 64 && lower.allSatisfy(\.isHexDigit) ? lower : nil
    }
}
