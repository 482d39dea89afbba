import Dialects

/// A parse failure, worded like Go's `encoding/json` decoder so 400 bodies resemble Ollama's.
struct JSONParseError: Error, Sendable {
    let message: String
}

/// A small strict JSON parser producing ``JSONValue``.
///
/// Like Go's `json.Decoder.Decode` (which Ollama uses via gin's `ShouldBindJSON`) it reads the
/// first value and ignores anything after it. Invalid UTF-8 in strings becomes U+FFFD.
struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0

    /// Parses the first JSON value in `bytes`.
    static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        return try parser.parseValue()
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func fail(_ what: String) -> JSONParseError {
        guard index < bytes.count else { return JSONParseError(message: "unexpected EOF") }
        return JSONParseError(message: "invalid character \(Self.quoteChar(bytes[index])) \(what)")
    }

    /// Go's `quoteChar`: `'x'`, with `'\''` and `'"'` special-cased and control bytes escaped.
    private static func quoteChar(_ b: UInt8) -> String {
        switch b {
        case UInt8(ascii: "'"): return #"'\''"#
        case UInt8(ascii: "\""): return #"'"'"#
        case 0x0A: return #"'\n'"#
        case 0x0D: return #"'\r'"#
        case 0x09: return #"'\t'"#
        case 0..<0x20: return "'\\x\(String(b, radix: 16).count == 1 ? "0" : "")\(String(b, radix: 16))'"
        default: return "'\(Character(Unicode.Scalar(b)))'"
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw fail("") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw fail("looking for beginning of value")
        }
    }

    private mutating func literal(_ word: String) throws(JSONParseError) {
        for expected in word.utf8 {
            guard index < bytes.count else { throw fail("") }
            guard bytes[index] == expected else {
                throw fail("in literal \(word) (expecting \(Self.quoteChar(expected)))")
            }
            index += 1
        }
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > 10_000 { throw JSONParseError(message: "exceeded max depth") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail("looking for beginning of object key string")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("after object key") }
            index += 1
            members.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw fail("") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw fail("after object key:value pair")
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw fail("") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw fail("after array element")
        }
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        var raw: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("") }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: raw, as: UTF8.self)
            case 0..<0x20:
                throw fail("in string literal")
            case UInt8(ascii: "\\"):
                index += 1
                do {
                    try JSONEscape.decode(bytes, at: &index, into: &raw, loneSurrogates: .replace)
                } catch {
                    switch error {
                    case .truncated: throw fail("")
                    case .invalidEscape, .unpairedSurrogate: throw fail("in string escape code")
                    case .invalidHex: throw fail("in \\u hexadecimal character escape")
                    }
                }
            default:
                raw.append(b)
                index += 1
            }
        }
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var integral = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func isDigit(_ i: Int) -> Bool { i < bytes.count && (0x30...0x39).contains(bytes[i]) }
        guard isDigit(index) else { throw fail("in numeric literal") }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else { while isDigit(index) { index += 1 } }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard isDigit(index) else { throw fail("after decimal point in numeric literal") }
            while isDigit(index) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard isDigit(index) else { throw fail("in exponent of numeric literal") }
            while isDigit(index) { index += 1 }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if integral, let value = Int64(text) { return .int(value) }
        return .double(Double(text) ?? 0)
    }
}
