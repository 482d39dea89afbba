/// The one decoder of JSON string escapes (RFC 8259 §7) that every parser here shares: the order-keeping
/// ``JSONParser``, the streaming chunk reader of Ollama's lines, and the fake Ollama's Go-like parser.
///
/// They differ only in what a lone UTF-16 surrogate (`\uD83D` with no low half) means, which the
/// caller says: a client's request is refused for it, while Ollama's output, like Go's `encoding/json`,
/// turns it into U+FFFD and goes on.
public enum JSONEscape {
    public enum LoneSurrogates: Sendable {
        /// A lone surrogate is an error (``Failure/unpairedSurrogate``).
        case reject
        /// A lone surrogate becomes U+FFFD; an escape after it is read on its own, as Go does.
        case replace
    }

    public enum Failure: Error, Sendable, Equatable {
        /// The text ended inside the escape.
        case truncated
        /// The letter after the backslash is not an escape.
        case invalidEscape
        /// A `\u` escape has a character that is not a hex digit.
        case invalidHex
        /// A surrogate half without its other half (only under ``LoneSurrogates/reject``).
        case unpairedSurrogate
    }

    /// Decodes the escape that starts after a backslash at `index - 1`, appending its UTF-8 to `out`, and
    /// moves `index` past it. On failure `index` is at the offending byte (or the end).
    @inlinable
    public static func decode<Bytes: RandomAccessCollection<UInt8>>(
        _ bytes: Bytes, at index: inout Int, into out: inout [UInt8], loneSurrogates: LoneSurrogates
    ) throws(Failure) where Bytes.Index == Int {
        guard index < bytes.endIndex else { throw .truncated }
        let letter = bytes[index]
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(letter)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            index += 1
            let unit = try hex4(bytes, at: &index)
            appendUTF8(try scalar(unit, bytes, at: &index, loneSurrogates: loneSurrogates), to: &out)
            return
        default:
            throw .invalidEscape
        }
        index += 1
    }

    /// The scalar a `\uXXXX` escape (its value `unit`, `index` just after it) stands for, reading the low
    /// half of a surrogate pair when one follows.
    @inlinable
    static func scalar<Bytes: RandomAccessCollection<UInt8>>(
        _ unit: UInt32, _ bytes: Bytes, at index: inout Int, loneSurrogates: LoneSurrogates
    ) throws(Failure) -> UInt32 where Bytes.Index == Int {
        let replacement: UInt32 = 0xFFFD
        switch unit {
        case 0xD800..<0xDC00:
            let followed = index + 1 < bytes.endIndex && bytes[index] == UInt8(ascii: "\\") && bytes[index + 1] == UInt8(ascii: "u")
            guard followed else {
                if loneSurrogates == .reject { throw .unpairedSurrogate }
                return replacement
            }
            var afterLow = index + 2
            let low = try hex4(bytes, at: &afterLow)
            guard (0xDC00..<0xE000).contains(low) else {
                if loneSurrogates == .reject { throw .unpairedSurrogate }
                return replacement  // the next escape is read on its own
            }
            index = afterLow
            return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00..<0xE000:
            if loneSurrogates == .reject { throw .unpairedSurrogate }
            return replacement
        default:
            return unit
        }
    }

    /// Four hex digits at `index`, moved past them.
    @inlinable
    static func hex4<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: inout Int) throws(Failure) -> UInt32
    where Bytes.Index == Int {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.endIndex else { throw .truncated }
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw .invalidHex
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// `scalar` (never a surrogate here) as UTF-8.
    @inlinable
    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
