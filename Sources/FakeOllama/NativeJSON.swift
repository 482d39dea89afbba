/// A JSON value that keeps object keys in order, so responses can be written with the same
/// key order as Ollama's Go structs and request objects can be inspected without losing the
/// distinction between booleans and numbers (which Foundation's `JSONSerialization` blurs).
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// An integral number that fits `Int64` (durations, counts, sizes).
    case int(Int64)
    case double(Double)
    /// A float32 value, formatted like Go's encoder formats `float32` (embeddings).
    case float(Float)
    case string(String)
    case array([JSONValue])
    /// Object members in order. Duplicate keys are allowed (as in the input text).
    case object([(key: String, value: JSONValue)])

    /// Convenience for building ordered objects: `.obj(("model", .string(m)), ...)`.
    static func obj(_ members: (String, JSONValue?)...) -> JSONValue {
        .object(members.compactMap { key, value in value.map { (key: key, value: $0) } })
    }

    /// The member named `key`, matched the way Go's `encoding/json` matches struct fields:
    /// the last member whose name equals `key` ignoring ASCII case. `nil` when absent or not an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        if let exact = members.last(where: { $0.key == key }) { return exact.value }
        return members.last(where: { $0.key.lowercased() == key.lowercased() })?.value
    }

    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var isNull: Bool { if case .null = self { true } else { false } }
    var isObject: Bool { if case .object = self { true } else { false } }

    /// Numeric value as a `Double` (ints included).
    var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .float(let f): Double(f)
        default: nil
        }
    }

    /// The JSON kind as Go names it in unmarshal errors (`string`, `number`, `bool`, `array`, `object`).
    var goKind: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int, .double, .float: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue {
    /// Serialises the value compactly, escaping strings the way Go's `encoding/json` does.
    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        encode(into: &out)
        return out
    }

    func encode(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: Self.format(d).utf8)
        case .float(let f): out.append(contentsOf: Self.format(f).utf8)
        case .string(let s): Self.encodeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.encode(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.encodeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.value.encode(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Go-style number text: integral values without a fraction, non-finite values as 0.
    private static func format(_ d: Double) -> String {
        guard d.isFinite else { return "0" }
        if d == d.rounded(), abs(d) < 1e21 { return String(Int64(d)) }
        return String(d)
    }

    private static func format(_ f: Float) -> String {
        guard f.isFinite else { return "0" }
        if f == f.rounded(), abs(f) < 1e21 { return String(Int64(f)) }
        return String(f)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Escapes like Go: `"` `\` and control characters; `<` `>` `&` as `\u003c` `\u003e` `\u0026`;
    /// U+2028/U+2029 as `\u2028`/`\u2029`. U+0085 (NEL) and all other characters are written raw.
    static func encodeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let bytes = Array(string.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                out.append(contentsOf: Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
                i += 2
            default: out.append(b)
            }
            i += 1
        }
        out.append(UInt8(ascii: "\""))
    }
}
