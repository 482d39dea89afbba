/// Parses JSON text (RFC 8259) into an ordered ``JSON`` value.
///
/// Strict where clients could be hurt by leniency (no trailing commas, comments or bare words; every
/// string must be valid UTF-8; nesting at most `maxDepth`), and exact where order and numbers matter:
/// object members keep their order and numbers keep their literal text.
public enum JSONParser {
    /// Nesting deeper than this is refused rather than risking the stack.
    public static let maxDepth = 512

    /// What went wrong and where, without echoing the input.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Byte offset of the fault.
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws(Failure) -> JSON {
        let buffer = Array(bytes)
        var cursor = Cursor(bytes: buffer)
        cursor.skipWhitespace()
        let value = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.index == buffer.count else { throw cursor.failure("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws(Failure) -> JSON { try parse(Array(text.utf8)) }
}

private struct Cursor {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func failure(_ reason: String) -> JSONParser.Failure { .init(offset: index, reason: reason) }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    mutating func value(depth: Int) throws(JSONParser.Failure) -> JSON {
        guard depth < JSONParser.maxDepth else { throw failure("nesting too deep") }
        guard let byte = current else { throw failure("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw failure("unexpected character")
        }
    }

    private mutating func object(depth: Int) throws(JSONParser.Failure) -> JSON {
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw failure("expected a member name") }
            let key = try string()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw failure("expected ':'") }
            index += 1
            skipWhitespace()
            members.append(JSONMember(key, try value(depth: depth + 1)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(members)
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONParser.Failure) -> JSON {
        index += 1
        var elements: [JSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func literal(_ word: String) throws(JSONParser.Failure) {
        for expected in word.utf8 {
            guard current == expected else { throw failure(current == nil ? "unexpected end of input" : "unexpected character") }
            index += 1
        }
    }

    private mutating func number() throws(JSONParser.Failure) -> String {
        let start = index
        func digits(_ cursor: inout Cursor) -> Int {
            let from = cursor.index
            while let byte = cursor.current, byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { cursor.index += 1 }
            return cursor.index - from
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits(&self) == 0 {
            throw failure("invalid number")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw failure("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw failure("invalid number") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func string() throws(JSONParser.Failure) -> String {
        index += 1
        // Most strings have no escape: their text is the bytes up to the closing quote, made into a String
        // in one copy (no buffer in between). ASCII needs no validation (`String(decoding:)` only repairs
        // what is not UTF-8, and ASCII always is).
        let start = index
        var bits: UInt8 = 0
        while let byte = current, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\"), byte >= 0x20 {
            bits |= byte
            index += 1
        }
        if current == UInt8(ascii: "\"") {
            let run = bytes[start..<index]
            index += 1
            if bits < 0x80 { return String(decoding: run, as: UTF8.self) }
            guard let text = String(validating: run, as: UTF8.self) else { throw failure("invalid UTF-8 in a string") }
            return text
        }
        var out: [UInt8] = []
        var runStart = start
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                out.append(contentsOf: bytes[runStart..<index])
                index += 1
                guard let text = String(validating: out, as: UTF8.self) else { throw failure("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                out.append(contentsOf: bytes[runStart..<index])
                index += 1
                try escape(into: &out)
                runStart = index
            case 0..<0x20:
                throw failure("control character in a string")
            default:
                index += 1
            }
        }
    }

    private mutating func escape(into out: inout [UInt8]) throws(JSONParser.Failure) {
        do {
            try JSONEscape.decode(bytes, at: &index, into: &out, loneSurrogates: .reject)
        } catch {
            switch error {
            case .truncated: throw failure("unterminated string")
            case .invalidEscape: throw failure("invalid escape")
            case .invalidHex: throw failure("invalid \\u escape")
            case .unpairedSurrogate: throw failure("unpaired surrogate")
            }
        }
    }
}
